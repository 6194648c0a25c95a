// The signed-in session and its API client, available to every page.
import { createContext, useContext } from "react";
import type { ApiClient } from "../api/client";
import type { Session } from "../api/session";

export interface AppContextValue {
  api: ApiClient;
  session: Session;
  signOut: () => void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error("useApp outside the signed-in shell");
  return value;
}

/** The owner an owner key is bound to; undefined for the admin key (it sees every owner). */
export function useBoundOwner(): string | undefined {
  const { session } = useApp();
  return session.role === "owner" ? session.ownerId : undefined;
}
