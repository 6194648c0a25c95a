// Opening a portal link: take its token out of the URL fragment (and out of the address bar, history and any
// later Referer), then ask the API which owner, theme and permissions the link carries.
import { ApiClient } from "../api/client";
import type { Session } from "../api/session";
import { isPortalPage } from "./portal-mode";

export interface PortalTheme {
  primary_color?: string;
  logo_url?: string;
}

export interface PortalInfo {
  linkId: string;
  ownerName: string | null;
  readOnly: boolean;
  expiresAt: string;
  theme: PortalTheme | null;
}

interface PortalSessionBody {
  link_id: string;
  owner_id: string;
  owner_name: string | null;
  read_only: boolean;
  theme: PortalTheme | null;
  expires_at: string;
}

/**
 * The token from `#token=hrp_…`, removed from the address bar (replaceState: no history entry keeps it). Null
 * when the fragment holds none (a reload after sign-in, or a bare /portal).
 */
function takeTokenFromUrl(): string | null {
  const fragment = window.location.hash.replace(/^#/, "");
  const token = new URLSearchParams(fragment).get("token");
  if (!token) return null;
  window.history.replaceState(null, "", `${window.location.pathname}#/`);
  return token;
}

// Taken when the bundle starts, before React renders anything: the token leaves the address bar at once, and a
// navigation made while the portal is still opening cannot lose it.
const launch = isPortalPage() ? takeTokenFromUrl() : null;

/** The token of the link this page was opened with, if any: it wins over a portal session stored in this tab. */
export function launchToken(): string | null {
  return launch;
}

/** Checks the token with the API; a 401 (expired, revoked, unknown) comes back as an ApiError. */
export async function openPortal(token: string): Promise<Session> {
  const body = await new ApiClient(token).get<PortalSessionBody>("/v1/portal/session");
  return {
    key: token,
    role: "owner",
    ownerId: body.owner_id,
    portal: {
      linkId: body.link_id,
      ownerName: body.owner_name,
      readOnly: body.read_only,
      expiresAt: body.expires_at,
      theme: body.theme,
    },
  };
}
