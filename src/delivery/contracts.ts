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
  /** Epoch ms before which the object must not attempt it. */
  due_at?: number;
  /** Routed to a disabled endpoint: recorded `held` without an attempt. */
  held?: boolean;
  /**
   * Its event had been routed before (a redelivered queue message, or a consumer run that died after storing
   * it): the object checks history first, so a delivery that already finished is not made again.
   */
  maybe_seen?: boolean;
}

/** Message body on the events queue. */
export type EventsQueueMessage =
  | {
      kind: "event";
      id: string;
      owner_id: string;
      event_type: string;
      /** Serialized payload, or null when it was too large for a queue message and waits in its history shard. */
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
  | { kind: "fanout"; event_id: string; owner_id: string; endpoint_ids: string[] };

