// The portal before (or after) a session: opening the link's token, or the page saying the link has expired.
// There is no key sign-in here: a portal is entered only through a link.
import { useEffect, useState } from "react";
import { ApiError } from "../api/client";
import type { Session } from "../api/session";
import { ProblemView } from "../components/problem-view";
import { launchToken, openPortal } from "./portal-session";

/** Why a portal session ended: its link stopped working, or the user signed out. */
export interface PortalEnd {
  reason: string;
  signedOut?: boolean;
}

type GateState =
  | { kind: "opening" }
  | { kind: "expired"; reason: string }
  | { kind: "signed-out"; reason: string }
  | { kind: "failed"; error: ApiError };

export function PortalGate({ onOpened, ended }: { onOpened: (session: Session) => void; ended?: PortalEnd | null }) {
  const [state, setState] = useState<GateState>(() => initialState(ended));

  useEffect(() => {
    if (state.kind !== "opening") return;
    const token = launchToken();
    if (!token) {
      setState({ kind: "expired", reason: "This page was opened without a portal link." });
      return;
    }
    let live = true;
    openPortal(token).then(
      (session) => live && onOpened(session),
      (err) => {
        if (!live) return;
        if (err instanceof ApiError && err.status === 401) setState({ kind: "expired", reason: err.problem.detail ?? "The link is not valid." });
        else setState({ kind: "failed", error: err instanceof ApiError ? err : new ApiError({ title: "Could not open the portal", status: 0, detail: String(err) }) });
      },
    );
    return () => {
      live = false;
    };
    // Runs once, when the page opens (later mounts come with `ended` set and never reach the token).
  }, []);

  return (
    <main className="sign-in">
      <section className="card sign-in-card" data-testid="portal-gate" data-state={state.kind}>
        {state.kind === "opening" && <p role="status">Opening the portal…</p>}
        {state.kind === "expired" && (
          <>
            <h1>This link has expired</h1>
            <p data-testid="portal-expired-reason">{state.reason}</p>
            <p className="muted">Portal links work for a limited time and can be withdrawn. Ask for a new link where you got this one.</p>
          </>
        )}
        {state.kind === "signed-out" && (
          <>
            <h1>Signed out</h1>
            <p>{state.reason}</p>
          </>
        )}
        {state.kind === "failed" && (
          <>
            <h1>The portal could not be opened</h1>
            <ProblemView error={state.error} />
          </>
        )}
      </section>
    </main>
  );
}

function initialState(ended: PortalEnd | null | undefined): GateState {
  if (ended) return { kind: ended.signedOut ? "signed-out" : "expired", reason: ended.reason };
  return { kind: "opening" };
}
