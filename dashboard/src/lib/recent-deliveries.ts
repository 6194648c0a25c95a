// Fetches the deliveries created in a recent window by paging GET /v1/deliveries newest first.
// Bounded: at most `maxPages` pages, and the result says when it stopped before the window's start.
import type { ApiClient } from "../api/client";
import type { Delivery } from "../api/types";

export interface RecentDeliveries {
  deliveries: Delivery[];
  /** True when the page limit cut the window short: the chart then covers only the newest part. */
  truncated: boolean;
}

/** `ownerId`: history lists name their owner (API.md "Lists at scale"); undefined for a key bound to its owner. */
export async function fetchRecentDeliveries(
  api: ApiClient,
  since: number,
  ownerId?: string,
  maxPages = 20,
): Promise<RecentDeliveries> {
  const deliveries: Delivery[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const res = await api.list<Delivery>("/v1/deliveries", { owner_id: ownerId, limit: 500, cursor });
    deliveries.push(...res.data);
    const oldest = res.data[res.data.length - 1]?.created_at;
    if (!res.next_cursor || (oldest && Date.parse(oldest) < since)) return { deliveries, truncated: false };
    cursor = res.next_cursor;
  }
  return { deliveries, truncated: true };
}
