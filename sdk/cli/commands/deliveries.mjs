// `hookrelay deliveries list|get|retry`.
import { printJson, printRecord, printTable, UsageError } from "../output.mjs";
import { LIST_HELP, LIST_OPTIONS, limitOf, printList } from "./args.mjs";

/** @param {any[]} rows */
export const deliveryTable = (rows) =>
  printTable(rows, {
    ID: (d) => d.id,
    STATUS: (d) => d.status,
    "EVENT TYPE": (d) => d.event_type,
    EVENT: (d) => d.event_id,
    ENDPOINT: (d) => d.endpoint_id,
    ATTEMPTS: (d) => d.attempt_count,
    CODE: (d) => d.last_status_code,
    UPDATED: (d) => d.updated_at,
  });

export const deliveries = {
  list: {
    summary: "List deliveries of an endpoint, event or owner",
    usage: "(--endpoint E | --event V | --owner O) [--status S] [--limit N] [--cursor C] [--all]",
    help: `Options (at least one of --endpoint, --event, --owner):
  --endpoint E    deliveries to this endpoint
  --event V       deliveries of this event
  --owner O       deliveries of this owner's events
  --status S      pending, retrying, succeeded, failed or held
${LIST_HELP}`,
    options: { endpoint: { type: "string" }, event: { type: "string" }, owner: { type: "string" }, status: { type: "string" }, ...LIST_OPTIONS },
    async run({ client, values, json, path }) {
      if (!values.endpoint && !values.event && !values.owner) throw new UsageError("name at least one of --endpoint, --event, --owner", path);
      const query = {
        endpoint_id: values.endpoint,
        event_id: values.event,
        owner_id: values.owner,
        status: values.status,
        limit: limitOf(values.limit, path),
      };
      await printList(values, (cursor) => client.deliveries.list({ ...query, cursor }), deliveryTable, json);
    },
  },
  get: {
    summary: "Show one delivery with its attempts",
    usage: "<delivery-id>",
    positionals: ["delivery-id"],
    options: {},
    async run({ client, args, json }) {
      const delivery = await client.deliveries.get(args[0]);
      if (json) return printJson(delivery);
      printRecord(delivery, ["attempts"]);
      process.stdout.write("\nattempts:\n");
      printTable(delivery.attempts, {
        "#": (a) => a.attempt,
        STARTED: (a) => a.started_at,
        CODE: (a) => a.status_code,
        MS: (a) => a.duration_ms,
        ERROR: (a) => a.error,
      });
    },
  },
  retry: {
    summary: "Retry a delivery now (runs the endpoint's retry policy afresh)",
    usage: "<delivery-id>",
    positionals: ["delivery-id"],
    options: {},
    async run({ client, args, json }) {
      const delivery = await client.deliveries.retry(args[0]);
      if (json) printJson(delivery);
      else process.stdout.write(`retrying ${delivery.id} (status ${delivery.status})\n`);
    },
  },
};
