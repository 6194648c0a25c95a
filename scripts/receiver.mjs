// A tiny webhook receiver for trying HookRelay locally: prints each delivery's Standard Webhooks headers and
// body, verifies the signature with the reference `standardwebhooks` library when it knows the endpoint's
// secret, and answers 200 either way (so a wrong secret shows ✗ here instead of turning into retries).
// Usage: node scripts/receiver.mjs [port] [--secret whsec_…]   (port default 9000, or RECEIVER_PORT;
//        the secret may also come from WEBHOOK_SECRET; listens on 127.0.0.1 only)
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import standardwebhooks from "standardwebhooks";

const { Webhook } = standardwebhooks;
const { values, positionals } = parseArgs({ options: { secret: { type: "string" } }, allowPositionals: true });
const port = Number(positionals[0] ?? process.env.RECEIVER_PORT ?? 9000);
const secret = values.secret ?? process.env.WEBHOOK_SECRET ?? "";
const verifier = secret ? new Webhook(secret) : null;

const SHOWN_HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature", "hookrelay-event-type", "hookrelay-delivery-id", "hookrelay-attempt"];

/** ✓/✗ line for one delivery: the library checks the HMAC and that the timestamp is within 5 minutes. */
function verification(body, headers) {
  if (!verifier) return "· not verified: start the receiver with --secret whsec_… (or WEBHOOK_SECRET) to check signatures";
  try {
    verifier.verify(body, headers);
    return "✓ signature verified (standardwebhooks)";
  } catch (err) {
    return `✗ signature NOT valid: ${err instanceof Error ? err.message : String(err)}`;
  }
}

createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const lines = [`${new Date().toISOString()} ${req.method} ${req.url}`];
    for (const name of SHOWN_HEADERS) if (req.headers[name] !== undefined) lines.push(`  ${name}: ${req.headers[name]}`);
    lines.push(`  ${verification(body, req.headers)}`, `  body: ${body}`);
    console.log(lines.join("\n"));
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
}).listen(port, "127.0.0.1", () => {
  console.log(`receiver listening on http://127.0.0.1:${port}${verifier ? " (verifying signatures)" : ""}`);
});
