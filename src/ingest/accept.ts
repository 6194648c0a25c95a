// accept(): the one way an event enters HookRelay, shared by REST, SNS and WebSocket ingest.
// (Contract fixed here; the implementation belongs to the delivery core issue.)
import type { Env } from "../env";

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
}

export interface AcceptResult {
  ids: string[];
  /** True when an earlier call with the same idempotency key already accepted these events. */
  replayed: boolean;
}

/** Validates, assigns ids and durably queues the events. Throws AppError on bad input. */
export async function accept(_env: Env, _input: AcceptInput): Promise<AcceptResult> {
  throw new Error("accept() is not implemented yet");
}
