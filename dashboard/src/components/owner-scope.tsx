// The owner whose history a page lists (API.md "Lists at scale"): history lists name their owner.
// Admin sessions pick one from GET /v1/owners (remembered in localStorage, the first owner by default);
// owner keys and portal sessions are bound to their own owner and get no picker.
import { useState, type ReactNode } from "react";
import type { ApiClient } from "../api/client";
import { useApp, useBoundOwner } from "../lib/app-context";
import { useResource } from "../lib/use-resource";
import { AsyncView } from "./async-view";
import { Field } from "./field";

interface OwnerSummary {
  owner_id: string;
  endpoints: number;
  created_at: string;
}

const STORAGE_KEY = "hookrelay.owner";
const MAX_PAGES = 10;

function readStored(): string {
  try {
    return localStorage.getItem(STORAGE_KEY) ?? "";
  } catch {
    return "";
  }
}

async function listOwners(api: ApiClient): Promise<OwnerSummary[]> {
  const owners: OwnerSummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await api.list<OwnerSummary>("/v1/owners", { limit: 100, cursor });
    owners.push(...res.data);
    if (!res.next_cursor) break;
    cursor = res.next_cursor;
  }
  return owners;
}

interface OwnerScopeProps {
  /** An owner named by the URL (?owner_id=…) wins over the remembered one. */
  initial?: string | null;
  /** Renders the page for the chosen owner; `picker` is the selector (null for a bound session). */
  children: (owner: string, picker: ReactNode) => ReactNode;
}

export function OwnerScope({ initial, children }: OwnerScopeProps) {
  const { api } = useApp();
  const bound = useBoundOwner();
  const owners = useResource(() => (bound ? Promise.resolve<OwnerSummary[]>([]) : listOwners(api)), [api, bound]);
  const [chosen, setChosen] = useState(() => initial || readStored());
  if (bound) return <>{children(bound, null)}</>;

  function choose(id: string) {
    setChosen(id);
    try {
      localStorage.setItem(STORAGE_KEY, id);
    } catch {
      // storage unavailable: the choice lasts for this page only
    }
  }

  return (
    <AsyncView
      resource={owners.resource}
      onRetry={owners.reload}
      loadingLabel="Loading owners…"
      isEmpty={(list) => list.length === 0}
      empty="No owners yet. History is listed per owner: create an endpoint, key or source with an owner, or send an event, and it shows up here."
    >
      {(list) => {
        const ids = list.map((o) => o.owner_id);
        // An owner named by the URL is listed even before it shows up in /v1/owners; a stale remembered one is not.
        if (initial && chosen === initial && !ids.includes(chosen)) ids.unshift(chosen);
        const owner = chosen && ids.includes(chosen) ? chosen : (ids[0] ?? "");
        const picker = (
          <Field label="Owner">
            {(id) => (
              <select id={id} value={owner} onChange={(e) => choose(e.target.value)} data-testid="owner-select">
                {ids.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            )}
          </Field>
        );
        return children(owner, picker);
      }}
    </AsyncView>
  );
}
