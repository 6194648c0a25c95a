// One delivery of an event: its endpoint, status, attempt timeline and a retry button. Polls while the
// delivery is still in motion so a page left open shows the outcome without a manual refresh.
import { useEffect } from "react";
import type { Delivery, DeliveryWithAttempts } from "../api/types";
import { useApp } from "../lib/app-context";
import { Writable } from "../portal/permissions";
import { formatTime } from "../lib/format";
import { useAction, usePolling, useResource, useWatchWindow } from "../lib/use-resource";
import { AttemptTimeline } from "./attempt-timeline";
import { AsyncView } from "./async-view";
import { EndpointLabel } from "./endpoint-label";
import { ProblemView } from "./problem-view";
import { StatusBadge } from "./status-badge";

const IN_MOTION = new Set(["pending", "retrying"]);

/** `nudge` changes when the event page did something to every delivery (a replay): look again, and keep looking. */
export function DeliveryCard({ summary, nudge = 0 }: { summary: Delivery; nudge?: number }) {
  const { api } = useApp();
  const { resource, reload } = useResource(() => api.get<DeliveryWithAttempts>(`/v1/deliveries/${summary.id}`), [api, summary.id]);
  const retry = useAction();
  const [watching, watch] = useWatchWindow();
  const status = resource.data?.status ?? summary.status;
  // ~5 minutes of polling at most; a long backoff is shown as "retrying" with its next attempt time.
  usePolling(reload, 1500, (IN_MOTION.has(status) || watching) && resource.state !== "error", 200);

  useEffect(() => {
    if (nudge === 0) return;
    watch();
    reload();
    // Runs for a new nudge only; watch and reload are stable.
  }, [nudge]);

  async function retryNow() {
    const ok = await retry.run(async () => {
      await api.post(`/v1/deliveries/${summary.id}/retry`, {});
      return true;
    });
    if (ok) {
      watch();
      reload();
    }
  }

  const delivery = resource.data;
  return (
    <article className="card delivery" data-testid="delivery" data-status={status} data-endpoint-id={summary.endpoint_id} aria-label={`Delivery ${summary.id}`}>
      <div className="row-between">
        <div className="row-meta">
          <StatusBadge status={status} />
          <EndpointLabel id={summary.endpoint_id} />
          <code className="muted">{summary.id}</code>
          {delivery?.next_attempt_at && IN_MOTION.has(status) && <span className="muted">next attempt {formatTime(delivery.next_attempt_at)}</span>}
        </div>
        <div className="actions">
          <button type="button" className="button small ghost" onClick={reload}>
            Refresh
          </button>
          {status !== "succeeded" && (
            <Writable>
              <button type="button" className="button small" onClick={retryNow} disabled={retry.pending}>
                {retry.pending ? "Retrying…" : "Retry delivery"}
              </button>
            </Writable>
          )}
        </div>
      </div>
      {retry.error && <ProblemView error={retry.error} />}
      <AsyncView resource={resource} onRetry={reload} loadingLabel="Loading attempts…">
        {(d) => <AttemptTimeline attempts={d.attempts} />}
      </AsyncView>
    </article>
  );
}
