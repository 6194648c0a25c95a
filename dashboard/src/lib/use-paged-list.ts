// A cursor-paged list: first page on load (and when filters change), more pages appended on demand.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";
import type { Page } from "../api/types";
import type { Resource } from "./use-resource";

export interface PagedList<T> {
  resource: Resource<T[]>;
  nextCursor: string | null;
  loadingMore: boolean;
  moreError: ApiError | null;
  loadMore: () => void;
  reload: () => void;
}

export function usePagedList<T>(load: (cursor: string | undefined) => Promise<Page<T>>, deps: unknown[]): PagedList<T> {
  const [resource, setResource] = useState<Resource<T[]>>({ state: "loading" });
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const lastTick = useRef(tick);

  useEffect(() => {
    const mine = ++generation.current;
    // Reload: keep the rows on screen while refreshing. New filters: show loading, not the old filter's rows.
    const isReload = lastTick.current !== tick;
    lastTick.current = tick;
    setResource((prev) => (isReload && prev.state === "ready" ? prev : { state: "loading" }));
    setMoreError(null);
    loadRef.current(undefined).then(
      (page) => {
        if (mine !== generation.current) return;
        setResource({ state: "ready", data: page.data });
        setNextCursor(page.next_cursor);
      },
      (err) => {
        if (mine !== generation.current) return;
        setResource({ state: "error", error: err instanceof ApiError ? err : new ApiError({ title: "Unexpected error", status: 0, detail: String(err) }) });
        setNextCursor(null);
      },
    );
    // `load` is read through a ref; the caller's deps say when it asks for something new.
  }, [...deps, tick]);

  const loadMore = useCallback(() => {
    if (!nextCursor || resource.state !== "ready") return;
    const mine = generation.current;
    setLoadingMore(true);
    setMoreError(null);
    loadRef.current(nextCursor)
      .then(
        (page) => {
          if (mine !== generation.current) return;
          setResource((prev) => ({ state: "ready", data: [...(prev.data ?? []), ...page.data] }));
          setNextCursor(page.next_cursor);
        },
        (err) => mine === generation.current && setMoreError(err instanceof ApiError ? err : new ApiError({ title: "Unexpected error", status: 0, detail: String(err) })),
      )
      .finally(() => setLoadingMore(false));
  }, [nextCursor, resource.state]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { resource, nextCursor, loadingMore, moreError, loadMore, reload };
}
