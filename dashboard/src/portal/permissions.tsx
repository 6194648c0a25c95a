// What a portal session may see and do. Read-only links may look but not change anything: write controls are
// not shown to them (the API refuses their writes with 403 regardless). Admin and API-key sessions may do all.
import type { ReactNode } from "react";
import { useApp } from "../lib/app-context";

/** The portal link behind this session, if it is a portal session. */
export function usePortal() {
  const { session } = useApp();
  return session.role === "owner" ? session.portal : undefined;
}

export function useCanWrite(): boolean {
  return !usePortal()?.readOnly;
}

/** Renders its children only for sessions that may write. */
export function Writable({ children, fallback = null }: { children: ReactNode; fallback?: ReactNode }) {
  return <>{useCanWrite() ? children : fallback}</>;
}

/** Renders its children everywhere but in the portal (API keys, sources: not the portal's business). */
export function NotInPortal({ children }: { children: ReactNode }) {
  return <>{usePortal() ? null : children}</>;
}
