// `hookrelay subscriptions list|create|delete`.
import { printJson, printRecord, printTable } from "../output.mjs";
import { LIST_HELP, LIST_OPTIONS, jsonOf, limitOf, printList, required } from "./args.mjs";

/** @param {any[]} rows */
const subscriptionTable = (rows) =>
  printTable(rows, {
    ID: (s) => s.id,
    ENDPOINT: (s) => s.endpoint_id,
    OWNER: (s) => s.owner_id,
    "EVENT TYPES": (s) => s.event_types.join(","),
    FILTER: (s) => (s.filter ? "yes" : "-"),
    CREATED: (s) => s.created_at,
  });

export const subscriptions = {
  list: {
    summary: "List subscriptions",
    usage: "[--endpoint E] [--owner O] [--limit N] [--cursor C] [--all]",
    help: `Options:\n  --endpoint E    only this endpoint's subscriptions\n  --owner O       only this owner's\n${LIST_HELP}`,
    options: { endpoint: { type: "string" }, owner: { type: "string" }, ...LIST_OPTIONS },
    async run({ client, values, json, path }) {
      const query = { endpoint_id: values.endpoint, owner_id: values.owner, limit: limitOf(values.limit, path) };
      await printList(values, (cursor) => client.subscriptions.list({ ...query, cursor }), subscriptionTable, json);
    },
  },
  create: {
    summary: "Subscribe an endpoint to event types",
    usage: "--endpoint E --types T[,T…] [--types T…] [--filter JSON] [--description D]",
    help: `Options:
  --endpoint E      the endpoint (required)
  --types T         event types: exact, prefix wildcard (order.*) or *; comma-separated or repeated (required)
  --filter JSON     a payload filter, e.g. '{"payload.total":{"$gte":100}}'
  --description D   free text`,
    options: {
      endpoint: { type: "string" },
      types: { type: "string", multiple: true },
      filter: { type: "string" },
      description: { type: "string" },
    },
    async run({ client, values, json, path }) {
      const endpoint_id = required(values, "endpoint", path);
      const event_types = (values.types ?? []).flatMap((t) => t.split(",")).map((t) => t.trim()).filter(Boolean);
      if (event_types.length === 0) required({}, "types", path);
      /** @type {Record<string, unknown>} */
      const body = { endpoint_id, event_types };
      if (values.filter) body.filter = jsonOf(values.filter, "--filter", path);
      if (values.description) body.description = values.description;
      const sub = await client.subscriptions.create(/** @type {any} */ (body));
      if (json) printJson(sub);
      else printRecord(sub);
    },
  },
  delete: {
    summary: "Delete a subscription",
    usage: "<subscription-id>",
    positionals: ["subscription-id"],
    options: {},
    async run({ client, args, json }) {
      await client.subscriptions.delete(args[0]);
      if (json) printJson({ id: args[0], deleted: true });
      else process.stdout.write(`deleted ${args[0]}\n`);
    },
  },
};
