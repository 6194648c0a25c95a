// Hostile peers for outbound reads, inside workerd: a Slack channel or an endpoint whose server streams
// 512 MiB costs the isolate only the cap. The receiver (receiver-global-setup.ts) records how much it wrote
// before the connection closed; an unbounded reader would make it write all of it (and workerd grow by as much).
import { describe, expect, it } from "vitest";
import { RESPONSE_BODY_LIMIT, sendAttempt } from "../../src/delivery/dispatch";
import { flooded, receiverUrl, script, uniqueKey } from "./delivery-fixtures";
import { call, createOwnerKey } from "./helpers";
import { pollUntil } from "../support/poll";

const MiB = 1024 * 1024;
const FLOOD = 512 * MiB;
/** The cap plus socket buffers on loopback (a few MiB) and the delivery path's 1 MiB drain, with a wide margin. */
const WRITTEN_AT_MOST = 64 * MiB;

async function cutOff(key: string) {
  const [record] = await pollUntil(async () => {
    const records = await flooded(key);
    return records.length === 1 && records[0]!.cutOff ? records : undefined;
  }, 10_000, 50);
  expect(record!.finished).toBe(false);
  expect(record!.written).toBeLessThan(WRITTEN_AT_MOST);
  return record!;
}

describe("outbound reads from hostile peers", () => {
  it("POST /v1/notification-channels/{id}/test against a Slack URL that streams 512 MiB fails fast, reading only the cap", async () => {
    const key = await createOwnerKey("flood-slack");
    const path = uniqueKey("slack-flood");
    await script(path, [{ status: 200, flood_bytes: FLOOD }]);
    const channel = await call("POST", "/v1/notification-channels", { key, body: { type: "slack", webhook_url: receiverUrl(path) } });
    expect(channel.status, channel.text).toBe(201);
    const res = await call("POST", `/v1/notification-channels/${channel.json.id}/test`, { key });
    expect(res.json.status).toBe("failed");
    expect(res.json.error).toMatch(/^Slack answered 200: x{100}/);
    expect(res.json.error.length).toBeLessThan(600);
    await cutOff(path);
  });

  it("a delivery attempt against an endpoint that streams 512 MiB keeps 4 KiB and stops after the 1 MiB drain", async () => {
    const path = uniqueKey("endpoint-flood");
    await script(path, [{ status: 200, flood_bytes: FLOOD }]);
    const result = await sendAttempt({ url: receiverUrl(path), body: "{}", headers: { "content-type": "application/json" }, timeoutMs: 10_000 });
    expect(result.statusCode).toBe(200);
    expect(result.error).toBeNull();
    expect(result.responseBody).toBe("x".repeat(RESPONSE_BODY_LIMIT));
    const record = await cutOff(path);
    expect(record.written).toBeGreaterThanOrEqual(MiB);
  });
});
