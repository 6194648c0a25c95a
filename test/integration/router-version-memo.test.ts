// The routing version read is skipped only for owners whose version was confirmed after (accepted_at + margin)
// of their newest event: an event accepted after a routing change is never routed with the older routing.
import { describe, expect, it } from "vitest";
import { lookupStats, resetLookupStats } from "../../src/cache/stats";
import { getDb } from "../../src/db/client";
import { matchEndpoints } from "../../src/domain/event-matching";
import { createRouter, VERSION_CHECK_CLOCK_MARGIN_MS } from "../../src/fanout/router";
import { call } from "./helpers";
import { createEndpoint, subscribe, testEnv } from "./fanout-helpers";

const db = getDb(testEnv.DB);

describe("routing version read per batch", () => {
  it("skips the read for events accepted well before the last confirmation, and never for events after a change", async () => {
    const owner = "memo-owner";
    const a = await createEndpoint(owner);
    const b = await createEndpoint(owner);
    const subA = await subscribe(a, ["order.*"]);
    const router = createRouter();
    const routed = async (acceptedAt: number) =>
      matchEndpoints((await router.routingFor(db, [owner], undefined, new Map([[owner, acceptedAt]]))).get(owner)!, {
        eventType: "order.created", ownerId: owner, payload: "{}",
      }).targets.map((t) => t.endpointId);

    resetLookupStats();
    expect(await routed(Date.now())).toEqual([a]);
    expect(lookupStats().d1_config_version_reads).toBe(1);
    // A backlog: events accepted longer ago than the margin before that confirmation need no new read.
    const old = Date.now() - VERSION_CHECK_CLOCK_MARGIN_MS - 5_000;
    expect(await routed(old)).toEqual([a]);
    expect(lookupStats().d1_config_version_reads).toBe(1);
    // An event within the margin of the confirmation is checked again.
    expect(await routed(Date.now() - 10)).toEqual([a]);
    expect(lookupStats().d1_config_version_reads).toBe(2);

    // The subscription moves to b; an event accepted after that (its accepted_at is later) sees it at once.
    expect((await call("DELETE", `/v1/subscriptions/${subA}`)).status).toBe(204);
    await subscribe(b, ["order.*"]);
    expect(await routed(Date.now())).toEqual([b]);
    expect(lookupStats().d1_config_version_reads).toBe(3);
    // Without accept times (or for an owner the batch has none for) every batch reads, as before.
    await router.routingFor(db, [owner]);
    expect(lookupStats().d1_config_version_reads).toBe(4);
  });
});
