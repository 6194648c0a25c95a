// Bounded outbound reads against real servers on 127.0.0.1: a peer that streams 512 MiB is cut off after
// the cap (the server sees the connection close long before its body ends), for the helper itself and for
// each caller (Slack, SES, the SNS certificate fetch). The SubscribeURL fetch and the workerd runtime are
// covered by test/e2e/sns.test.ts and test/integration/fuzz-outbound-reads.test.ts.
import { createServer, type Server } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readBounded, readBoundedText } from "../../src/http/bounded-read";
import { sendEmail } from "../../src/notify/email";
import type { Notice } from "../../src/notify/notice";
import { sendSlack } from "../../src/notify/slack";
import { clearCertificateCache, SnsVerificationError, verifySnsSignature, type SnsMessage } from "../../src/ingest/sns";
import { startFloodServer, type FloodRecord, type FloodServer } from "../support/flood-server";
import { pollUntil } from "../support/poll";

const MiB = 1024 * 1024;
const FLOOD = 512 * MiB;
/**
 * What a cut-off reader may leave the server having written: the cap plus whatever loopback socket buffers
 * and the HTTP client hold (a few MiB). An unbounded reader makes the server write all 512 MiB.
 */
const WRITTEN_AT_MOST = 64 * MiB;

const notice: Notice = { kind: "test", endpointId: null, details: null, link: null };

let flood: FloodServer;
beforeAll(async () => {
  flood = await startFloodServer({ bytes: FLOOD, prefix: "-----BEGIN CERTIFICATE-----\n" });
});
afterAll(() => flood.close());

/** Waits until the server has seen `count` requests end, and returns the last one's record. */
async function cutOffRecord(count: number): Promise<FloodRecord> {
  const record = await pollUntil(async () => (flood.records.length >= count && flood.records[count - 1]!.cutOff ? flood.records[count - 1] : undefined), 10_000, 20);
  expect(record.finished).toBe(false);
  expect(record.written).toBeLessThan(WRITTEN_AT_MOST);
  return record;
}

describe("readBounded", () => {
  it("keeps the cap, reports truncation and hangs up on a 512 MiB body", async () => {
    const before = flood.records.length;
    const res = await fetch(`${flood.url}/x`);
    const { bytes, truncated } = await readBounded(res, { limit: 4096 });
    expect(bytes.byteLength).toBe(4096);
    expect(truncated).toBe(true);
    expect(new TextDecoder().decode(bytes.subarray(0, 11))).toBe("-----BEGIN ");
    await cutOffRecord(before + 1);
  });

  it("drains past the cap up to drainLimit, still keeping only the cap", async () => {
    const before = flood.records.length;
    const res = await fetch(`${flood.url}/x`);
    const { bytes, truncated } = await readBounded(res, { limit: 100, drainLimit: 2 * MiB });
    expect(bytes.byteLength).toBe(100);
    expect(truncated).toBe(true);
    const record = await cutOffRecord(before + 1);
    expect(record.written).toBeGreaterThanOrEqual(2 * MiB);
  });

  it("reads short bodies whole, declared or chunked, and an absent body as empty", async () => {
    const server: Server = createServer((req, res) => {
      if (req.url === "/chunked") {
        res.writeHead(200);
        res.write("hello ");
        res.end("wörld");
      } else res.writeHead(200, { "content-length": "5" }).end("hello");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      expect(await readBoundedText(await fetch(`http://127.0.0.1:${port}/declared`), { limit: 5 })).toEqual({ text: "hello", truncated: false });
      expect(await readBoundedText(await fetch(`http://127.0.0.1:${port}/chunked`), { limit: 12 })).toEqual({ text: "hello wörld", truncated: false });
      expect(await readBoundedText(await fetch(`http://127.0.0.1:${port}/chunked`), { limit: 6 })).toEqual({ text: "hello ", truncated: true });
      expect(await readBounded(new Response(null), { limit: 10 })).toEqual({ bytes: new Uint8Array(0), truncated: false });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("throws the signal's reason when it fires while the body is still arriving", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2, 3])); // then never ends
      },
    });
    const controller = new AbortController();
    const read = readBounded(new Response(stream), { limit: 1024, signal: controller.signal });
    controller.abort(new Error("deadline"));
    await expect(read).rejects.toThrow("deadline");
  });
});

describe("every outbound reader is bounded", () => {
  afterEach(() => clearCertificateCache());

  it("Slack: a 512 MiB answer is a failure with a clipped error, and the connection is dropped", async () => {
    const before = flood.records.length;
    const result = await sendSlack(`${flood.url}/services/T/B/x`, notice);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatch(/^Slack answered 200: -----BEGIN CERTIFICATE-----\nxxx/);
      expect(result.error.length).toBeLessThan(600);
    }
    await cutOffRecord(before + 1);
  });

  it("SES: a 512 MiB answer is a failure, and the connection is dropped", async () => {
    const before = flood.records.length;
    const settings = { region: "us-east-1", from: "a@example.com", endpoint: flood.url, accessKeyId: "AKID", secretAccessKey: "secret" };
    const result = await sendEmail(settings, ["b@example.com"], notice);
    // SES answers JSON; 200 with anything is success, but the read still stopped at the cap.
    expect(result.ok).toBe(true);
    await cutOffRecord(before + 1);
  });

  it("SNS: a 512 MiB signing certificate is refused as too large, and the connection is dropped", async () => {
    const before = flood.records.length;
    const msg: SnsMessage = {
      Type: "Notification",
      MessageId: "m-1",
      TopicArn: "arn:aws:sns:us-east-1:123456789012:t",
      Message: "x",
      Timestamp: new Date().toISOString(),
      SignatureVersion: "2",
      Signature: "AAAA",
      SigningCertURL: `${flood.url}/cert.pem`,
    };
    const err = await verifySnsSignature(msg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnsVerificationError);
    expect((err as SnsVerificationError).reason).toBe("signing certificate unusable: certificate too large");
    await cutOffRecord(before + 1);
  });
});
