// The bench's floor (bench/floor) does the work it stands for: the figures it gives bound what issue 14's required
// per-delivery work costs, so a floor that skipped some of it would make HookRelay look worse than it is. Real
// `wrangler dev` behind the asset front (as the bench starts it), real receivers on 127.0.0.1, signatures checked
// with the standardwebhooks library, history counted in its shards.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBare } from "../../bench/lib/bare.mjs";
import { SIGNING_SECRET } from "../../bench/floor/signing-secret.mjs";
import { startReceiver, type Receiver, type ReceivedRequest } from "./support/receiver";

let floor: Awaited<ReturnType<typeof startBare>>;
let receiver: Receiver;

beforeAll(async () => {
  [floor, receiver] = await Promise.all([startBare({ front: true, floor: true }), startReceiver()]);
});

afterAll(async () => {
  await Promise.all([floor?.stop(), receiver?.close()]);
});

async function waitFor<T>(what: string, read: () => Promise<T> | T, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the bench's floor pipeline", () => {
  it("signs every webhook, sends the documented headers and records every event and delivery", async () => {
    const targets = [`${receiver.url}/a`, `${receiver.url}/b`];
    const events = [{ n: 1 }, { n: 2, text: "two" }, { n: 3, nested: { ok: true } }];
    const res = await fetch(`${floor.url}/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ targets, events }) });
    expect(res.status).toBe(202);
    const { ids } = (await res.json()) as { ids: string[] };
    expect(ids).toHaveLength(3);

    const arrived = await waitFor("6 webhooks", () => receiver.received, (r) => r.length >= 6);
    expect(arrived).toHaveLength(6);
    const webhook = new Webhook(SIGNING_SECRET);
    const deliveryIds = new Set<string>();
    for (const req of arrived as ReceivedRequest[]) {
      // Throws on a wrong or missing signature, id or timestamp.
      expect(webhook.verify(req.body, req.headers)).toEqual(events[ids.indexOf(req.headers["webhook-id"]!)]);
      expect(req.headers["content-type"]).toBe("application/json");
      expect(req.headers["hookrelay-event-type"]).toBe("bench.floor");
      expect(req.headers["hookrelay-attempt"]).toBe("1");
      deliveryIds.add(req.headers["hookrelay-delivery-id"]!);
    }
    // One delivery id per (event, target).
    expect(deliveryIds.size).toBe(6);

    for (const target of targets) {
      const history = await waitFor(
        `history of ${target}`,
        async () => (await (await fetch(`${floor.url}/history?target=${encodeURIComponent(target)}`)).json()) as { events: number; deliveries: number },
        (h) => h.deliveries >= 3,
      );
      expect(history).toEqual({ events: 3, deliveries: 3 });
    }
  });
});
