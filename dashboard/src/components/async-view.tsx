// The loading / error / empty / ready switch every data view goes through, so none forgets a state.
import type { ReactNode } from "react";
import type { Resource } from "../lib/use-resource";
import { ProblemView } from "./problem-view";

interface Props<T> {
  resource: Resource<T>;
  onRetry?: () => void;
  /** Treat ready data as empty (e.g. a list with no rows). */
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}

export function AsyncView<T>({ resource, onRetry, isEmpty, empty, loadingLabel = "Loading…", children }: Props<T>) {
  if (resource.state === "loading") return <Loading label={loadingLabel} />;
  if (resource.state === "error") return <ProblemView error={resource.error} onRetry={onRetry} />;
  if (isEmpty?.(resource.data)) return <div className="empty">{empty ?? "Nothing here yet."}</div>;
  return <>{children(resource.data)}</>;
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}
