// "Try it": runs a draft filter against one of the owner's recent events (POST /v1/subscriptions/test-filter),
// so a user sees whether the event would be delivered before saving.
import { useState } from "react";
import type { EventDetail, EventSummary } from "../api/types";
import { useApp } from "../lib/app-context";
import { useAction, useResource } from "../lib/use-resource";
import { Field } from "./field";
import type { ParsedFilter } from "./filter-editor";
import { ProblemView } from "./problem-view";

const RECENT_EVENTS = 20;

export function FilterTry({ ownerId, parsed }: { ownerId: string; parsed: ParsedFilter }) {
  const { api } = useApp();
  // Event lists name their owner (API.md "Lists at scale"): the admin key must pass owner_id.
  const recent = useResource(() => api.list<EventSummary>("/v1/events", { owner_id: ownerId, limit: RECENT_EVENTS }), [api, ownerId]);
  const [eventId, setEventId] = useState("");
  const [result, setResult] = useState<{ eventId: string; matches: boolean } | null>(null);
  const test = useAction();
  const events = recent.resource.data?.data ?? [];
  const chosen = eventId || events[0]?.id || "";

  async function run() {
    if (!parsed.ok || !chosen) return;
    setResult(null);
    const answer = await test.run(async () => {
      // The list holds summaries; the payload comes with the event itself.
      const event = await api.get<EventDetail>(`/v1/events/${encodeURIComponent(chosen)}`);
      return api.post<{ matches: boolean }>("/v1/subscriptions/test-filter", {
        filter: parsed.filter,
        event: { payload: event.payload, event_type: event.event_type, owner_id: event.owner_id },
      });
    });
    if (answer) setResult({ eventId: chosen, matches: answer.matches });
  }

  return (
    <section className="filter-try" aria-label="Try the filter">
      <h3 className="small-heading">Try it on a recent event</h3>
      {recent.resource.state === "error" && <ProblemView error={recent.resource.error} onRetry={recent.reload} />}
      {recent.resource.state === "ready" && events.length === 0 && <p className="muted small">No events for {ownerId} yet.</p>}
      {events.length > 0 && (
        <div className="inline-form">
          <Field label="Event">
            {(id) => (
              <select
                id={id}
                value={chosen}
                onChange={(e) => {
                  setEventId(e.target.value);
                  setResult(null);
                }}
              >
                {events.map((ev) => (
                  <option key={ev.id} value={ev.id}>
                    {ev.event_type} · {ev.id}
                    {ev.accepted_at ? ` · ${ev.accepted_at}` : ""}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="button" className="button small" onClick={run} disabled={test.pending || !parsed.ok}>
            {test.pending ? "Testing…" : "Test filter"}
          </button>
        </div>
      )}
      {result && result.eventId === chosen && (
        <p role="status" data-testid="filter-result" className={result.matches ? "badge badge-good" : "badge badge-warn"}>
          {result.matches ? "Matches: this event would be delivered" : "No match: this event would be filtered out"}
        </p>
      )}
      {test.error && <ProblemView error={test.error} />}
    </section>
  );
}
