// Who is signed in. The key lives in sessionStorage only: it leaves with the tab, never in localStorage.
import { isPortalPage } from "../portal/portal-mode";
import type { PortalInfo } from "../portal/portal-session";
import { ApiClient, ApiError } from "./client";
import type { Page } from "./types";

// The portal keeps its session apart: a portal link opened in a tab signed in as admin never uses the admin key.
const storageKey = () => (isPortalPage() ? "hookrelay.portal" : "hookrelay.session");

/** `portal`: signed in through a portal link (an owner session limited to the portal's pages). */
export type Session = { key: string; role: "admin" } | { key: string; role: "owner"; ownerId: string; portal?: PortalInfo };

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(storageKey());
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(storageKey(), JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(storageKey());
}

// An owner_id no real owner is expected to use; only asked about, never written.
const PROBE_OWNER = "hookrelay-dashboard-role-probe";

/**
 * Checks a key and finds out what it may see. The API has no "who am I" route, so this leans on two
 * documented rules: a bad key gets 401, and an owner key naming another owner in a filter gets 403.
 * An owner key's own owner is read from its api-keys list, which holds at least the key itself.
 */
export async function signIn(key: string): Promise<Session> {
  const client = new ApiClient(key);
  try {
    await client.get<Page<unknown>>("/v1/api-keys", { limit: 1, owner_id: PROBE_OWNER });
    return { key, role: "admin" };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 403) throw err;
  }
  const own = await client.get<Page<{ owner_id: string }>>("/v1/api-keys", { limit: 1 });
  const ownerId = own.data[0]?.owner_id;
  if (!ownerId) {
    throw new ApiError({ title: "Unknown owner", status: 0, detail: "This key is valid but its owner could not be determined." });
  }
  return { key, role: "owner", ownerId };
}
