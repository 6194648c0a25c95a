// The contracts between the pieces of the delivery path. Kept in one place because the fanout consumer,
// the retries consumer, the cron sweep, the API and the EndpointDO all speak them.

/** One delivery handed to an EndpointDO. Enqueue is idempotent by delivery_id. */
export interface DeliveryWork {
  delivery_id: string;
  event_id: string;
  endpoint_id: string;
  owner_id: string;
  event_type: string;
  /** The event payload exactly as serialized at acceptance: the body sent on every attempt. */
  payload: string;
  /** Epoch ms the event was accepted. */
  accepted_at: number;
  /** Attempts already made (0 for new work); the next attempt is number attempts + 1. */
  attempts: number;
  /** Attempts already made in the current run of the policy (a manual retry starts a new run at 0). */
  attempts_in_run: number;
  /**
   * A manual retry (POST …/retry, replay of an existing delivery, batch retry): accepted even when the
   * object already finished or holds this delivery, and it restarts the run. Otherwise work whose
   * `attempts` is behind what the object already attempted is a stale duplicate and is ignored.
   */
  manual?: boolean;
  /** Epoch ms before which the object must not attempt it (a retry the queue brought back a little early). */
  due_at?: number;
}

/** Message body on the events queue. */
export type EventsQueueMessage =
  | {
      kind: "event";
      id: string;
      owner_id: string;
      event_type: string;
      /** Serialized payload, or null when it was too large for a queue message and sits in large_payloads. */
      payload: string | null;
      payload_size: number;
      accepted_at: number;
      source_id: string | null;
      idempotency_key: string | null;
      /**
       * A test event (POST /v1/endpoints/{id}/test): delivered to this endpoint only, when it belongs to the
       * event's owner; subscriptions and filters are not consulted. Absent for every other event.
       */
      only_endpoint_id?: string;
    }
  /** A slice of a large fanout, split off so no single invocation exceeds platform subrequest limits. */
  | { kind: "fanout"; event_id: string; endpoint_ids: string[] };

/** Message body on the retries queue: hand a delivery back to its EndpointDO once due_at has come. */
export interface RetryQueueMessage {
  kind: "retry";
  delivery_id: string;
  endpoint_id: string;
  /** Epoch ms the next attempt is due; longer than one queue delay allows means several hops. */
  due_at: number;
  /** Attempts made when the retry was scheduled (so a stale D1 row cannot make the retry look stale). */
  attempts?: number;
}

/** Queues accept delays up to 12 h per hop. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

/**
 * How long a message waits for its consumer's batch after its delay: the retries consumer's
 * max_batch_timeout in wrangler.toml (1 s).
 */
export const RETRY_BATCH_WAIT_MS = 1_000;

/**
 * The queue delay for a retry due at `dueAt`: short of it by the batch wait, so the message reaches the
 * EndpointDO by its due time rather than up to a second after; the object holds it until due_at.
 */
export function retryQueueDelaySeconds(dueAt: number, nowMs: number): number {
  return Math.min(Math.max(0, Math.floor((dueAt - nowMs - RETRY_BATCH_WAIT_MS) / 1000)), MAX_QUEUE_DELAY_SECONDS);
}
