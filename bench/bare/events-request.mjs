// The one route of the bench's reference pipelines (bench/bare, bench/floor): POST /events with
// {targets: [url], events: [payload]}, 1–100 events, each delivered to every target.

/** → { targets, events } from the request's body, or the 400 Response to answer instead. */
export async function readEventsRequest(request) {
  let body;
  try {
    body = await request.json();
  } catch {
    return Response.json({ error: "body must be JSON" }, { status: 400 });
  }
  const targets = body?.targets;
  const events = body?.events;
  if (!Array.isArray(targets) || !Array.isArray(events) || events.length === 0 || events.length > 100) {
    return Response.json({ error: "expected {targets: [url], events: [payload] (1–100)}" }, { status: 400 });
  }
  return { targets, events };
}
