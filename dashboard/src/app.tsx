// The shell: sign-in gate, navigation, and which page the hash route shows.
import { useEffect, useMemo, useRef, useState } from "react";
import { ApiClient } from "./api/client";
import { clearSession, loadSession, saveSession, type Session } from "./api/session";
import { AppContext } from "./lib/app-context";
import { useRoute, type Route } from "./lib/router";
import { SignInPage } from "./pages/sign-in";
import { OverviewPage } from "./pages/overview";
import { EndpointsPage } from "./pages/endpoints";
import { EndpointDetailPage } from "./pages/endpoint-detail";
import { EndpointCreatePage } from "./pages/endpoint-create";
import { EventsPage } from "./pages/events";
import { EventDetailPage } from "./pages/event-detail";
import { SourcesPage } from "./pages/sources";
import { DeadLettersPage } from "./pages/dead-letters";
import { SettingsPage } from "./pages/settings";
import { PortalBrand } from "./portal/portal-brand";
import { PortalGate, type PortalEnd } from "./portal/portal-gate";
import { isPortalPage } from "./portal/portal-mode";
import { launchToken } from "./portal/portal-session";
import { useApplyTheme } from "./portal/portal-theme";
import { usePortalExpiry } from "./portal/use-portal-expiry";

// adminOnly: the API refuses owner keys there, so an owner is not offered the link (a typed URL still
// shows the server's refusal). notInPortal: likewise for portal links (the API refuses them there too).
const NAV = [
  { section: "", label: "Overview" },
  { section: "endpoints", label: "Endpoints" },
  { section: "events", label: "Events" },
  { section: "sources", label: "Sources", notInPortal: true },
  { section: "dead-letters", label: "Dead letters", adminOnly: true },
  { section: "settings", label: "Settings" },
];

function PageFor({ route }: { route: Route }) {
  const [section, id] = route.parts;
  switch (section) {
    case undefined:
      return <OverviewPage />;
    case "endpoints":
      if (id === "new") return <EndpointCreatePage />;
      return id ? <EndpointDetailPage id={id} /> : <EndpointsPage />;
    case "events":
      return id ? <EventDetailPage id={id} /> : <EventsPage query={route.query} />;
    case "sources":
      return <SourcesPage />;
    case "dead-letters":
      return <DeadLettersPage />;
    case "settings":
      return <SettingsPage />;
    default:
      return (
        <div className="empty">
          <p>There is no page at this address.</p>
          <a href="#/">Go to the overview</a>
        </div>
      );
  }
}

/**
 * After an in-app navigation, focus moves to the page content (as a full page load would reset it), so
 * keyboard and screen-reader users start at the new page instead of on the link they left.
 */
function useMoveFocusOnNavigation(path: string) {
  const ref = useRef<HTMLElement>(null);
  // Compared with the previous path (not a "first render" flag), so effects run twice in dev stay idle.
  const previous = useRef(path);
  useEffect(() => {
    if (previous.current === path) return;
    previous.current = path;
    ref.current?.focus();
  }, [path]);
  return ref;
}

/** The stored session, unless a portal link is being opened: its token wins over an older portal session. */
function initialSession(): Session | null {
  if (isPortalPage() && launchToken()) {
    clearSession();
    return null;
  }
  return loadSession();
}

export function App() {
  const [session, setSession] = useState<Session | null>(initialSession);
  // Why the user is back at sign-in, when it was not their own choice.
  const [notice, setNotice] = useState<string | null>(null);
  // The portal's counterpart: why its session ended (the gate then shows the expiry page).
  const [portalEnd, setPortalEnd] = useState<PortalEnd | null>(null);
  const route = useRoute();
  const portal = session?.role === "owner" ? session.portal : undefined;

  const signOut = () => {
    clearSession();
    setSession(null);
    if (isPortalPage()) setPortalEnd({ reason: "You signed out of the portal. Open your link again to come back.", signedOut: true });
  };
  const endPortal = (reason: string) => {
    clearSession();
    setSession(null);
    setPortalEnd({ reason });
  };
  const refused = () => {
    if (isPortalPage()) return endPortal("The server no longer accepts this portal link: it has expired or was withdrawn.");
    setNotice("The server no longer accepts this key (HTTP 401). Sign in again.");
    signOut();
  };
  const api = useMemo(() => (session ? new ApiClient(session.key, refused) : null), [session]);
  const mainRef = useMoveFocusOnNavigation(route.parts.join("/"));
  usePortalExpiry(portal?.expiresAt, () => endPortal("This portal link has expired."));
  useApplyTheme(portal?.theme);

  if ((!session || !api) && isPortalPage()) {
    return (
      <PortalGate
        ended={portalEnd}
        onOpened={(s) => {
          setPortalEnd(null);
          saveSession(s);
          setSession(s);
        }}
      />
    );
  }
  if (!session || !api) {
    return (
      <SignInPage
        notice={notice}
        onSignedIn={(s) => {
          setNotice(null);
          saveSession(s);
          setSession(s);
        }}
      />
    );
  }

  const current = route.parts[0] ?? "";
  const path = route.parts.join("/");
  return (
    <AppContext.Provider value={{ api, session, signOut }}>
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content
      </a>
      <header className="topbar">
        {portal && session.role === "owner" ? (
          <PortalBrand portal={portal} ownerId={session.ownerId} />
        ) : (
          <a className="brand" href="#/">
            HookRelay
          </a>
        )}
        <nav aria-label="Main">
          <ul>
            {NAV.filter((item) => (!item.adminOnly || session.role === "admin") && !(item.notInPortal && portal)).map((item) => (
              <li key={item.section}>
                <a href={`#/${item.section}`} aria-current={current === item.section ? "page" : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className="muted" data-testid="signed-in-as">
            {session.role === "admin" ? "Admin · all owners" : `Owner · ${session.ownerId}`}
          </span>
          {portal?.readOnly && (
            <span className="badge badge-neutral" data-testid="portal-read-only">
              Read-only
            </span>
          )}
          <button type="button" className="button small ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1} ref={mainRef}>
        {/* Keyed by path: another id is another page, with none of the previous one's state. */}
        <PageFor key={path} route={route} />
      </main>
    </AppContext.Provider>
  );
}
