// Shows an endpoint by its URL (what people recognise) instead of its id, linking to its page.
// Lookups are shared across the page: an event with many deliveries to one endpoint asks once.
import { useEffect, useState } from "react";
import type { ApiClient } from "../api/client";
import type { Endpoint } from "../api/types";
import { endpointTarget } from "../lib/format";
import { useApp } from "../lib/app-context";
import { href } from "../lib/router";

const lookups = new Map<string, Promise<string | null>>();

function endpointUrl(api: ApiClient, id: string): Promise<string | null> {
  let found = lookups.get(id);
  if (!found) {
    // A failed lookup (deleted endpoint, route missing) falls back to the id; it is not an error to show.
    found = api.get<Endpoint>(`/v1/endpoints/${encodeURIComponent(id)}`).then((e) => endpointTarget(e), () => null);
    lookups.set(id, found);
  }
  return found;
}

export function EndpointLabel({ id }: { id: string }) {
  const { api } = useApp();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    endpointUrl(api, id).then((u) => live && setUrl(u));
    return () => {
      live = false;
    };
  }, [api, id]);
  return (
    <a href={href(["endpoints", id])} className="url" title={id}>
      {url ?? id}
    </a>
  );
}
