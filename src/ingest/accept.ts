// accept(): the one way an event enters HookRelay, shared by REST, SNS and WebSocket ingest.
// Validate → assign ids (or reuse an idempotent request's) → queue durably → answer. No D1 write per request.
import { loadConfig } from "../config";
import { newEventId } from "../domain/ids";
import type { Env } from "../env";
import { AppError } from "../http/errors";
import { assertValidIdempotencyKey, idempotencyStub } from "./idempotency-client";
import type { AcceptedEvent } from "./queue-messages";
import { sendEvents } from "./send-events";
import { throttleIngest } from "./throttle";
import { validateEvents } from "./validate-events";

export interface AcceptInput {
  /**
   * Raw, unvalidated event objects ({payload, owner_id, event_type}); accept() validates each one,
   * size-checks its payload (MAX_PAYLOAD_BYTES → 413 payload_too_large, before schema errors of the same
   * event) and refuses the whole call if any is invalid, naming the index (errors[].path "events.N.…").
   */
  events: unknown[];
  /** Whether the input was a batch (errors name indexes) or a single event. */
  batch: boolean;
  /** The only owner these events may be for (owner key, source's owner); undefined = any (admin). */
  ownerScope?: string;
  /** Same key + same owner within 24 h → same ids, delivered once. */
  idempotencyKey?: string;
  /** The SNS or WebSocket source the events came through, if any. */
  sourceId?: string;
  /** A test event: deliver to this endpoint only, without consulting subscriptions. */
  onlyEndpointId?: string;
}

export interface AcceptResult {
  ids: string[];
  /** True when an earlier call with the same idempotency key already accepted these events. */
  replayed: boolean;
}

/** Validates, assigns ids and durably queues the events. Throws AppError on bad input. */
export async function accept(env: Env, input: AcceptInput): Promise<AcceptResult> {
  const config = loadConfig(env);
  if (input.events.length === 0) {
    throw new AppError("validation_failed", "At least one event is required.", [{ path: "events", message: "must not be empty" }]);
  }
  if (input.idempotencyKey !== undefined) assertValidIdempotencyKey(input.idempotencyKey);
  const valid = validateEvents(input.events, {
    batch: input.batch,
    maxPayloadBytes: config.maxPayloadBytes,
    ownerScope: input.ownerScope,
  });
  // After validation (bad input keeps its own 4xx), before anything is queued or claimed.
  await throttleIngest(env, input.ownerScope, valid.length);

  const now = Date.now();
  const proposedIds = valid.map((event) => newEventId(event.ownerId, now));
  const toQueue = (ids: string[]): AcceptedEvent[] =>
    valid.map((event, i) => ({
      id: ids[i]!,
      ownerId: event.ownerId,
      eventType: event.eventType,
      payloadJson: event.payloadJson,
      payloadBytes: event.payloadBytes,
      acceptedAt: now,
      sourceId: input.sourceId ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
      ...(input.onlyEndpointId === undefined ? {} : { onlyEndpointId: input.onlyEndpointId }),
    }));

  if (input.idempotencyKey === undefined) {
    await sendEvents(env, toQueue(proposedIds));
    return { ids: proposedIds, replayed: false };
  }

  const keeper = idempotencyStub(env, valid.map((e) => e.ownerId), input.idempotencyKey);
  const claim = await keeper.claim(proposedIds);
  if (claim.outcome === "committed") return { ids: claim.ids, replayed: true };
  if (claim.outcome === "mismatch") {
    throw new AppError("conflict", `This Idempotency-Key was already used for a request with ${claim.ids.length} event(s).`);
  }
  try {
    await sendEvents(env, toQueue(claim.ids));
  } catch (err) {
    // Let a client retry with the same key try again rather than be told "accepted" for unqueued events.
    await keeper.release(claim.token).catch(() => undefined);
    throw err;
  }
  // The events are queued whatever happens next: a lost commit only means a retry re-sends the same ids.
  await keeper.commit(claim.token).catch((err: unknown) => {
    console.error(JSON.stringify({ level: "error", msg: "idempotency commit failed", error: String(err) }));
  });
  return { ids: claim.ids, replayed: false };
}
