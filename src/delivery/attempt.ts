// One attempt at a delivery: sign it, count its start with the limiter, send it (HTTP, or to a relay
// listener) and turn what happened into an attempt record. Never throws: a request that cannot even be
// built is a failed attempt, never a lost delivery.
import { attemptId } from "../domain/ids";
import type { AttemptTimeouts } from "./attempt-timeouts";
import type { AttemptResult } from "./classify";
import { attemptRecord } from "./delivery-record";
import { buildHeaders, sendAttempt } from "./dispatch";
import { signingSecrets, type OpenedEndpoint } from "./endpoint-config";
import type { EndpointLimiter } from "./endpoint-limiter";
import type { WorkRow } from "./endpoint-store";
import type { RelayChannel } from "./relay-channel";

export async function makeAttempt(
  endpoint: OpenedEndpoint,
  row: WorkRow,
  pacing: { limiter: EndpointLimiter; decidedAt: number },
  relay: RelayChannel,
  timeouts: AttemptTimeouts,
): Promise<{ result: AttemptResult; attempt: ReturnType<typeof attemptRecord> }> {
  const attempt = row.attempts + 1;
  const startedAt = Date.now();
  pacing.limiter.noteStart(startedAt);
  let result: AttemptResult;
  try {
    const message = { eventId: row.event_id, eventType: row.event_type, ownerId: row.owner_id, deliveryId: row.delivery_id, attempt, payload: row.payload };
    const headers = await buildHeaders(message, signingSecrets(endpoint, startedAt), endpoint.auth, startedAt);
    pacing.limiter.sent(endpoint.rateLimit, pacing.decidedAt, Date.now());
    result =
      endpoint.kind === "relay" // relay: the attempt goes to the listener, never over HTTP
        ? await relay.sendViaRelay({ delivery_id: row.delivery_id, attempt, headers, body: row.payload }, endpoint.timeoutMs)
        : await sendAttempt({ url: endpoint.url, body: row.payload, headers, timeoutMs: endpoint.timeoutMs }, timeouts);
  } catch (err) {
    result = { startedAt, durationMs: Date.now() - startedAt, statusCode: null, error: `network: ${String(err)}`, responseBody: null, retryAfter: null };
  }
  return { result, attempt: attemptRecord(attemptId(row.delivery_id, attempt), attempt, result) };
}
