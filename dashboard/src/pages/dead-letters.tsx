// Dead letters: queue messages a consumer gave up on, newest first, each redrivable to its origin queue.
// The API allows this to the admin key only; an owner key sees the server's refusal, not an empty list.
import { useState } from "react";
import type { DeadLetter, DeadLetterQueue } from "../api/types";
import { AsyncView } from "../components/async-view";
import { DeadLetterCard } from "../components/dead-letter-card";
import { Field } from "../components/field";
import { LoadMore } from "../components/load-more";
import { PageHeader } from "../components/page-header";
import { ProblemView } from "../components/problem-view";
import { useApp } from "../lib/app-context";
import { usePagedList } from "../lib/use-paged-list";

/** Smaller than the API's default of 50: each card carries a whole message body. */
export const DEAD_LETTERS_PAGE_SIZE = 20;

const QUEUES: { value: DeadLetterQueue | ""; label: string }[] = [
  { value: "", label: "All queues" },
  { value: "hookrelay-events", label: "hookrelay-events" },
  { value: "hookrelay-retries", label: "hookrelay-retries" },
  { value: "unknown", label: "unknown origin" },
];

function emptyText(queue: DeadLetterQueue | ""): string {
  if (queue === "") return "No dead letters: no queue consumer has given up on a message.";
  if (queue === "unknown") return "No dead letters of unknown origin.";
  return `No dead letters from ${queue}.`;
}

export function DeadLettersPage() {
  const { api } = useApp();
  const [queue, setQueue] = useState<DeadLetterQueue | "">("");
  const list = usePagedList((cursor) => api.list<DeadLetter>("/v1/dead-letters", { queue, cursor, limit: DEAD_LETTERS_PAGE_SIZE }), [api, queue]);

  return (
    <>
      <PageHeader
        title="Dead letters"
        subtitle="Queue messages a consumer gave up on after its retries ran out, newest first. Admin only."
        actions={
          <button type="button" className="button ghost" onClick={list.reload}>
            Refresh
          </button>
        }
      />
      {/* One select applies at once (no submit): there is nothing else to type first. */}
      <div className="filters single" role="search" aria-label="Filter dead letters">
        <Field label="Queue">
          {(id) => (
            <select id={id} value={queue} onChange={(e) => setQueue(e.target.value as DeadLetterQueue | "")}>
              {QUEUES.map((q) => (
                <option key={q.value} value={q.value}>
                  {q.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <AsyncView
        resource={list.resource}
        // Trying again cannot turn a refusal (an owner key here) into an answer.
        onRetry={list.resource.error?.status === 403 ? undefined : list.reload}
        loadingLabel="Loading dead letters…"
        isEmpty={(rows) => rows.length === 0}
        empty={emptyText(queue)}
      >
        {(rows) => (
          <div className="cards" data-testid="dead-letters">
            {rows.map((d) => (
              <DeadLetterCard key={d.id} deadLetter={d} />
            ))}
          </div>
        )}
      </AsyncView>
      {list.moreError && <ProblemView error={list.moreError} />}
      <LoadMore cursor={list.nextCursor} loading={list.loadingMore} onLoad={list.loadMore} />
    </>
  );
}
