// Cursor pagination as async iteration: `for await (const d of client.deliveries.iterate({ endpoint_id }))`.
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface IterateOptions {
  /** Stop after this many items in all (default: no limit; the server's cursors end the walk). */
  maxItems?: number;
}

/** Walks pages from the first until `next_cursor` is null. A cursor the server repeats stops the walk with an error, never a loop. */
export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, opts: IterateOptions = {}): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  let yielded = 0;
  for (;;) {
    const page = await fetchPage(cursor);
    for (const item of page.data) {
      if (opts.maxItems !== undefined && yielded >= opts.maxItems) return;
      yield item;
      yielded++;
    }
    if (!page.next_cursor || (opts.maxItems !== undefined && yielded >= opts.maxItems)) return;
    if (seen.has(page.next_cursor)) throw new Error(`pagination: the server returned cursor ${page.next_cursor} twice`);
    seen.add(page.next_cursor);
    cursor = page.next_cursor;
  }
}
