// `hookrelay events send|list|get`.
import { printJson, printRecord, printTable, UsageError } from "../output.mjs";
import { LIST_HELP, LIST_OPTIONS, jsonOf, limitOf, printList, readStdin, required } from "./args.mjs";

/** @param {any[]} rows */
const eventTable = (rows) =>
  printTable(rows, {
    ID: (e) => e.id,
    OWNER: (e) => e.owner_id,
    TYPE: (e) => e.event_type,
    BYTES: (e) => e.payload_size,
    ACCEPTED: (e) => e.accepted_at,
  });

export const events = {
  send: {
    summary: "Send an event (payload from --data or stdin)",
    usage: "--owner O --type T [--data JSON] [--idempotency-key K]",
    help: `Options:
  --owner O               owner of the event (required)
  --type T                event type, e.g. order.created (required)
  --data JSON             the payload; when absent, JSON is read from stdin
  --idempotency-key K     same key within 24 h → same event id (generated when absent, so retries are safe)`,
    options: { owner: { type: "string" }, type: { type: "string" }, data: { type: "string" }, "idempotency-key": { type: "string" } },
    async run({ client, values, json, path }) {
      const owner_id = required(values, "owner", path);
      const event_type = required(values, "type", path);
      let raw = values.data;
      if (raw === undefined) {
        if (process.stdin.isTTY) throw new UsageError("no payload: pass --data JSON or pipe JSON on stdin", path);
        raw = await readStdin();
        if (raw.trim() === "") throw new UsageError("no payload: stdin was empty", path);
      }
      const payload = jsonOf(raw, values.data === undefined ? "stdin" : "--data", path);
      const accepted = await client.events.send({ owner_id, event_type, payload }, { idempotencyKey: values["idempotency-key"] });
      if (json) printJson(accepted);
      else process.stdout.write(`${accepted.id}\n`);
    },
  },
  list: {
    summary: "List an owner's events (newest first)",
    usage: "--owner O [--type T] [--after TIME] [--before TIME] [--limit N] [--cursor C] [--all]",
    help: `Options:
  --owner O       the owner whose events to list (required: history is stored per owner)
  --type T        only this event type
  --after TIME    accepted after this RFC 3339 time
  --before TIME   accepted before this RFC 3339 time
${LIST_HELP}`,
    options: { owner: { type: "string" }, type: { type: "string" }, after: { type: "string" }, before: { type: "string" }, ...LIST_OPTIONS },
    async run({ client, values, json, path }) {
      const query = {
        owner_id: required(values, "owner", path),
        event_type: values.type,
        after: values.after,
        before: values.before,
        limit: limitOf(values.limit, path),
      };
      await printList(values, (cursor) => client.events.list({ ...query, cursor }), eventTable, json);
    },
  },
  get: {
    summary: "Show one event with its payload and deliveries",
    usage: "<event-id>",
    positionals: ["event-id"],
    options: {},
    async run({ client, args, json }) {
      const event = await client.events.get(args[0]);
      if (json) return printJson(event);
      printRecord(event, ["payload", "deliveries"]);
      process.stdout.write(`\npayload:\n${JSON.stringify(event.payload, null, 2)}\n\ndeliveries:\n`);
      printTable(event.deliveries, {
        ID: (d) => d.id,
        ENDPOINT: (d) => d.endpoint_id,
        STATUS: (d) => d.status,
        ATTEMPTS: (d) => d.attempts,
        "LAST CODE": (d) => d.last_status_code,
        "LAST ERROR": (d) => d.last_error,
      });
    },
  },
};
