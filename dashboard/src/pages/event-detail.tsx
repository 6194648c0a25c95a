// One event: its payload and every delivery with attempts; replay sends it again to today's matches.
import type { Delivery, EventDetail } from "../api/types";
import { AsyncView } from "../components/async-view";
import { DeliveryCard } from "../components/delivery-card";
import { JsonView } from "../components/json-view";
import { PageHeader } from "../components/page-header";
import { ProblemView } from "../components/problem-view";
import { useApp } from "../lib/app-context";
import { Writable } from "../portal/permissions";
import { formatTime } from "../lib/format";
import { href } from "../lib/router";
import { useState } from "react";
import { useAction, usePolling, useResource, useWatchWindow } from "../lib/use-resource";

export function EventDetailPage({ id }: { id: string }) {
  const { api } = useApp();
  const { resource, reload } = useResource(async () => {
    const event = await api.get<EventDetail>(`/v1/events/${encodeURIComponent(id)}`);
    // API.md says the event comes with its deliveries; ask the deliveries list if it does not.
    const deliveries = event.deliveries ?? (await api.list<Delivery>("/v1/deliveries", { event_id: id, limit: 500 })).data;
    return { event, deliveries };
  }, [api, id]);
  const [watching, watch] = useWatchWindow();
  const [replays, setReplays] = useState(0);
  // Fanout happens shortly after acceptance (and after a replay): keep looking for deliveries a while.
  const awaitingFanout = resource.state === "ready" && resource.data.deliveries.length === 0;
  usePolling(reload, 1500, awaitingFanout || watching, 40);

  return (
    <>
      <PageHeader title="Event" subtitle={<a href={href(["events"])}>← Events</a>} />
      <AsyncView resource={resource} onRetry={reload} loadingLabel="Loading event…">
        {({ event, deliveries }) => (
          <>
            <EventSummaryCard
              event={event}
              onReplayed={() => {
                setReplays((n) => n + 1);
                watch();
                reload();
              }}
            />
            <JsonView value={event.payload} label="Payload" />
            <section aria-labelledby="deliveries-title">
              <div className="card-head">
                <h2 id="deliveries-title">Deliveries ({deliveries.length})</h2>
                <button type="button" className="button small ghost" onClick={reload}>
                  Refresh
                </button>
              </div>
              {deliveries.length === 0 ? (
                <div className="empty">No deliveries (yet): no endpoint of this owner subscribes to this event type, or fanout is still running.</div>
              ) : (
                deliveries.map((d) => <DeliveryCard key={d.id} summary={d} nudge={replays} />)
              )}
            </section>
          </>
        )}
      </AsyncView>
    </>
  );
}

function EventSummaryCard({ event, onReplayed }: { event: EventDetail; onReplayed: () => void }) {
  const { api } = useApp();
  const replay = useAction();
  const [replayed, setReplayed] = useState<{ retried: number; created: number } | null>(null);

  async function replayNow() {
    const result = await replay.run(() => api.post<{ retried?: number; created?: number }>(`/v1/events/${event.id}/replay`, {}));
    if (result) {
      setReplayed({ retried: result.retried ?? 0, created: result.created ?? 0 });
      onReplayed();
    }
  }

  return (
    <section className="card" aria-label="Event summary">
      <div className="row-between">
        <div>
          <p className="big" data-testid="event-type">
            {event.event_type}
          </p>
          <div className="row-meta">
            <span className="muted">owner {event.owner_id}</span>
            <code className="muted">{event.id}</code>
            <span className="muted">accepted {formatTime(event.accepted_at ?? event.created_at)}</span>
            {event.source_id && <span className="muted">from source {event.source_id}</span>}
          </div>
        </div>
        <Writable>
          <div className="actions">
            <button type="button" className="button" onClick={replayNow} disabled={replay.pending}>
              {replay.pending ? "Replaying…" : "Replay event"}
            </button>
          </div>
        </Writable>
      </div>
      {replayed && (
        <p className="ok-text" role="status">
          Replay accepted: {replayed.retried} {replayed.retried === 1 ? "delivery" : "deliveries"} retried, {replayed.created} new.
        </p>
      )}
      {replay.error && <ProblemView error={replay.error} />}
    </section>
  );
}
