// Events: search by owner, type and time window; each row opens the event's detail.
import { useState, type FormEvent, type ReactNode } from "react";
import type { EventSummary } from "../api/types";
import { AsyncView } from "../components/async-view";
import { Field } from "../components/field";
import { LoadMore } from "../components/load-more";
import { OwnerFilter } from "../components/owner-filter";
import { OwnerScope } from "../components/owner-scope";
import { PageHeader } from "../components/page-header";
import { ProblemView } from "../components/problem-view";
import { useApp, useBoundOwner } from "../lib/app-context";
import { formatTime, localInputToIso } from "../lib/format";
import { href } from "../lib/router";
import { usePagedList } from "../lib/use-paged-list";

interface Filters {
  event_type: string;
  after: string;
  before: string;
}

export function EventsPage({ query }: { query: URLSearchParams }) {
  // Events are listed per owner (API.md "Lists at scale"): admin sessions pick one first.
  return (
    <>
      <PageHeader title="Events" subtitle="Everything accepted, newest first." />
      <OwnerScope initial={query.get("owner_id")}>
        {(owner, picker) => <EventSearch owner={owner} picker={picker} query={query} />}
      </OwnerScope>
    </>
  );
}

function EventSearch({ owner, picker, query }: { owner: string; picker: ReactNode; query: URLSearchParams }) {
  const { api } = useApp();
  // A key bound to its owner implies it: no filter sent.
  const bound = useBoundOwner();
  const ownerId = bound ? undefined : owner;
  const initial: Filters = {
    event_type: query.get("event_type") ?? "",
    after: "",
    before: "",
  };
  const [draft, setDraft] = useState(initial);
  // The search runs on submit, not per keystroke: the filters are typed together, then applied.
  const [applied, setApplied] = useState(initial);
  const list = usePagedList(
    (cursor) =>
      api.list<EventSummary>("/v1/events", {
        owner_id: ownerId,
        event_type: applied.event_type,
        after: localInputToIso(applied.after),
        before: localInputToIso(applied.before),
        cursor,
      }),
    [api, ownerId, applied],
  );

  function search(e: FormEvent) {
    e.preventDefault();
    setApplied({ ...draft });
  }
  const set = (key: keyof Filters) => (value: string) => setDraft((d) => ({ ...d, [key]: value }));

  return (
    <>
      <form className="filters" onSubmit={search} aria-label="Search events">
        {/* A bound session shows its owner read-only, as before; the admin gets the owner select. */}
        {picker ?? <OwnerFilter value={owner} onChange={() => undefined} />}
        <Field label="Event type">
          {(id) => <input id={id} value={draft.event_type} placeholder="order.created" onChange={(e) => set("event_type")(e.target.value)} />}
        </Field>
        <Field label="After">{(id) => <input id={id} type="datetime-local" value={draft.after} onChange={(e) => set("after")(e.target.value)} />}</Field>
        <Field label="Before">{(id) => <input id={id} type="datetime-local" value={draft.before} onChange={(e) => set("before")(e.target.value)} />}</Field>
        <div className="filter-submit">
          <button type="submit" className="button primary">
            Search
          </button>
          <button type="button" className="button ghost" onClick={list.reload}>
            Refresh
          </button>
        </div>
      </form>
      <AsyncView resource={list.resource} onRetry={list.reload} isEmpty={(rows) => rows.length === 0} empty="No events match.">
        {(rows) => <EventTable rows={rows} />}
      </AsyncView>
      {list.moreError && <ProblemView error={list.moreError} />}
      <LoadMore cursor={list.nextCursor} loading={list.loadingMore} onLoad={list.loadMore} />
    </>
  );
}

function EventTable({ rows }: { rows: EventSummary[] }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid="events-table">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Owner</th>
            <th scope="col">Id</th>
            <th scope="col">Accepted</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={e.id}>
              <td data-label="Type">
                <a href={href(["events", e.id])}>{e.event_type}</a>
              </td>
              <td data-label="Owner">{e.owner_id}</td>
              <td data-label="Id">
                <code>{e.id}</code>
              </td>
              <td data-label="Accepted">{formatTime(e.accepted_at ?? e.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
