// Creates the endpoints and subscriptions a delivery scenario needs, all pointing at the loopback receiver;
// throws SkipError with the API's answer when the delivery API is not there yet.
import { describeAnswer } from "../http.mjs";
export class SkipError extends Error {}

export async function createEndpoints(ctx, { owner, eventType, paths, rateLimit }) {
  const { client, receiver } = ctx;
  const ids = [];
  for (const path of paths) {
    const body = { url: `${receiver.url}${path}`, owner_id: owner, description: `bench ${path}`, timeout_ms: 10_000 };
    if (rateLimit) body.rate_limit = { requests: rateLimit, per_seconds: 1 };
    const ep = await client.api("POST", "/v1/endpoints", body);
    if (ep.status !== 201 || !ep.json?.id) throw new SkipError(`POST /v1/endpoints answered ${describeAnswer(ep.status, ep.text)}`);
    const sub = await client.api("POST", "/v1/subscriptions", { endpoint_id: ep.json.id, event_types: [eventType] });
    if (sub.status !== 201) throw new SkipError(`POST /v1/subscriptions answered ${describeAnswer(sub.status, sub.text)}`);
    ids.push(ep.json.id);
  }
  return ids;
}

/** Sends one event and waits for it at the receiver: proves the whole delivery path works before measuring it. */
export async function probeDelivery(ctx, timeoutMs) {
  const { client, receiver } = ctx;
  await createEndpoints(ctx, { owner: "bench-probe", eventType: "bench.probe", paths: ["/probe"] });
  const t = performance.now();
  const r = await client.api("POST", "/v1/events", { payload: { probe: true }, owner_id: "bench-probe", event_type: "bench.probe" });
  if (r.status !== 202 || !r.json?.id) throw new SkipError(`POST /v1/events answered ${describeAnswer(r.status, r.text)}`);
  const arrived = await receiver.waitUntil(() => receiver.arrival("/probe", r.json.id) !== undefined, timeoutMs);
  if (!arrived) throw new SkipError(`delivery path not working yet: a probe event was accepted but did not reach the receiver within ${timeoutMs / 1000} s`);
  return { first_delivery_ms: Math.round(receiver.arrival("/probe", r.json.id) - t) };
}

/** Disables a scenario's endpoints once it is measured, so its leftover backlog does not load later phases. */
export async function disableEndpoints(ctx, ids) {
  let ok = 0;
  for (const id of ids) if ((await ctx.client.api("POST", `/v1/endpoints/${id}/disable`)).status === 200) ok++;
  return ok;
}
