// "Send test event": POST /v1/endpoints/{id}/test, then the resulting delivery as it happens. The delivery
// exists only once the fanout consumer has run (about a second), so its id is looked up until it answers.
import { useEffect, useState } from "react";
import type { Delivery } from "../api/types";
import { ApiError } from "../api/client";
import { useApp } from "../lib/app-context";
import { href } from "../lib/router";
import { useAction } from "../lib/use-resource";
import { DeliveryCard } from "./delivery-card";
import { ProblemView } from "./problem-view";

interface Sent {
  event_id: string;
  delivery_id: string;
}

/** How long to wait for the queued event to become a delivery before saying so (bounded: 30 looks). */
const LOOKS = 30;
const LOOK_EVERY_MS = 1000;

export function TestEventPanel({ endpointId }: { endpointId: string }) {
  const { api } = useApp();
  const send = useAction();
  const [sent, setSent] = useState<Sent | null>(null);
  const [delivery, setDelivery] = useState<Delivery | null>(null);
  const [gaveUp, setGaveUp] = useState(false);

  useEffect(() => {
    if (!sent) return;
    let cancelled = false;
    let looks = 0;
    const look = async () => {
      looks++;
      try {
        const found = await api.get<Delivery>(`/v1/deliveries/${sent.delivery_id}`);
        if (!cancelled) setDelivery(found);
        return;
      } catch (err) {
        // 404 until the consumer has created it; anything else is a real problem, shown by the card's retry.
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
      if (cancelled) return;
      if (looks >= LOOKS) setGaveUp(true);
      else window.setTimeout(() => void look().catch(() => setGaveUp(true)), LOOK_EVERY_MS);
    };
    void look().catch(() => setGaveUp(true));
    return () => {
      cancelled = true;
    };
  }, [api, sent]);

  async function sendTest() {
    const result = await send.run(() => api.post<Sent>(`/v1/endpoints/${endpointId}/test`));
    if (!result) return;
    setDelivery(null);
    setGaveUp(false);
    setSent(result);
  }

  return (
    <section className="card" aria-labelledby="test-event-title">
      <div className="card-head">
        <h2 id="test-event-title">Test event</h2>
        <button type="button" className="button" onClick={sendTest} disabled={send.pending}>
          {send.pending ? "Sending…" : "Send test event"}
        </button>
      </div>
      <p className="muted">
        Sends one <code>hookrelay.test</code> event to this endpoint only (no subscription needed), signed like every delivery.
      </p>
      {send.error && <ProblemView error={send.error} />}
      {sent && (
        <div data-testid="test-event-result">
          <p className="muted">
            Event <a href={href(["events", sent.event_id])}>{sent.event_id}</a>
            {!delivery && !gaveUp && " · waiting for its delivery…"}
            {gaveUp && !delivery && " · its delivery has not appeared yet; look again under Recent deliveries."}
          </p>
          {delivery && <DeliveryCard key={delivery.id} summary={delivery} />}
        </div>
      )}
    </section>
  );
}
