// Loads something from the API and tracks loading / error / data, with reload and optional polling.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";

export type Resource<T> =
  | { state: "loading"; data?: undefined; error?: undefined }
  | { state: "error"; data?: T; error: ApiError }
  | { state: "ready"; data: T; error?: undefined };

export interface ResourceHandle<T> {
  resource: Resource<T>;
  reload: () => void;
  /** Replaces the data locally (after a mutation that returned the new value). */
  set: (data: T) => void;
}

function toApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError({ title: "Unexpected error", status: 0, detail: String(err) });
}

/**
 * `load` runs whenever `deps` change or reload() is called. Answers that arrive after a newer load started
 * are dropped, so a slow old response never overwrites a fresh one.
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[]): ResourceHandle<T> {
  const [resource, setResource] = useState<Resource<T>>({ state: "loading" });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const lastTick = useRef(tick);

  useEffect(() => {
    const mine = ++generation.current;
    // A reload keeps showing the current data while it refreshes; new deps (another id) start from loading,
    // so one thing's data is never shown under another's name.
    const isReload = lastTick.current !== tick;
    lastTick.current = tick;
    setResource((prev) => (isReload && prev.state === "ready" ? prev : { state: "loading" }));
    load().then(
      (data) => mine === generation.current && setResource({ state: "ready", data }),
      (err) => mine === generation.current && setResource((prev) => ({ state: "error", data: prev.data, error: toApiError(err) })),
    );
    // `load` is a new closure each render; the caller's deps say when it asks for something new.
  }, [...deps, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  const set = useCallback((data: T) => setResource({ state: "ready", data }), []);
  return { resource, reload, set };
}

/** Calls `fn` every `ms` while `active`, at most `maxRuns` times (polling loops stay bounded). */
export function usePolling(fn: () => void, ms: number, active: boolean, maxRuns = 120): void {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!active) return;
    let runs = 0;
    const id = window.setInterval(() => {
      runs += 1;
      if (runs > maxRuns) window.clearInterval(id);
      else saved.current();
    }, ms);
    return () => window.clearInterval(id);
  }, [active, ms, maxRuns]);
}

/** Tracks one user action (a button press): pending flag and the last error, to show next to the button. */
export function useAction() {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async <R,>(fn: () => Promise<R>): Promise<R | undefined> => {
    setPending(true);
    setError(null);
    try {
      return await fn();
    } catch (err) {
      setError(toApiError(err));
      return undefined;
    } finally {
      setPending(false);
    }
  }, []);
  return { pending, error, run, clearError: () => setError(null) };
}

/**
 * A short window after a user action (retry, replay) during which a view keeps polling even though
 * its data does not look in motion yet: the server acts on the request asynchronously.
 */
export function useWatchWindow(ms = 60_000): [boolean, () => void] {
  const [until, setUntil] = useState(0);
  const [, force] = useState(0);
  useEffect(() => {
    if (until === 0) return;
    const id = window.setTimeout(() => force((n) => n + 1), Math.max(0, until - Date.now()));
    return () => window.clearTimeout(id);
  }, [until]);
  return [Date.now() < until, () => setUntil(Date.now() + ms)];
}
