// sendEmail against a real HTTP server on 127.0.0.1: the SigV4 credential scope names SES and the region
// (the SES emulator accepts any AWS-looking signature, so this is where the scope is checked), and SES
// error answers become failures carrying SES's text.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendEmail, type SesSettings } from "../../src/notify/email";
import type { Notice } from "../../src/notify/notice";

let server: Server;
let base: string;
const seen: Array<{ method: string; url: string; headers: IncomingMessage["headers"]; body: string }> = [];
let answer = { status: 200, body: JSON.stringify({ MessageId: "m-1" }) };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const notice: Notice = { kind: "test", endpointId: null, details: null, link: null };
const settings = (): SesSettings => ({ region: "eu-central-1", from: "hr@example.test", endpoint: base, accessKeyId: "AKIDTEST", secretAccessKey: "secret" });

describe("sendEmail (SES v2 via aws4fetch)", () => {
  it("POSTs SendEmail to /v2/email/outbound-emails signed for service ses in the configured region", async () => {
    answer = { status: 200, body: JSON.stringify({ MessageId: "m-1" }) };
    expect(await sendEmail(settings(), ["ops@acme.test"], notice)).toEqual({ ok: true });
    const req = seen.at(-1)!;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("/v2/email/outbound-emails");
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-central-1\/ses\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-date[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(req.headers["x-amz-content-sha256"] ?? req.headers["x-amz-date"]).toBeTruthy();
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({ FromEmailAddress: "hr@example.test", Destination: { ToAddresses: ["ops@acme.test"] } });
  });

  it("reports SES's error answer as a failure (no client-side retries: the cron retries)", async () => {
    answer = { status: 400, body: JSON.stringify({ message: "Email address is not verified." }) };
    const before = seen.length;
    const result = await sendEmail(settings(), ["ops@acme.test"], notice);
    expect(result).toEqual({ ok: false, error: 'SES answered 400: {"message":"Email address is not verified."}' });
    answer = { status: 500, body: "boom" };
    expect(await sendEmail(settings(), ["ops@acme.test"], notice)).toEqual({ ok: false, error: "SES answered 500: boom" });
    expect(seen.length - before).toBe(2);
  });

  it("reports a connection failure as a failure", async () => {
    const result = await sendEmail({ ...settings(), endpoint: "http://127.0.0.1:9" }, ["a@b.test"], notice);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^SES request failed/);
  });
});
