// `hookrelay endpoints list|get|create|delete`.
import { printJson, printRecord, printTable } from "../output.mjs";
import { LIST_HELP, LIST_OPTIONS, jsonOf, limitOf, printList } from "./args.mjs";

/** @param {any[]} rows */
export const endpointTable = (rows) =>
  printTable(rows, {
    ID: (e) => e.id,
    OWNER: (e) => e.owner_id,
    STATUS: (e) => (e.disabled_reason ? `${e.status} (${e.disabled_reason})` : e.status),
    URL: (e) => (e.kind === "relay" ? "(relay: hookrelay listen)" : e.url),
    CREATED: (e) => e.created_at,
  });

export const endpoints = {
  list: {
    summary: "List endpoints (newest first)",
    usage: "[--owner O] [--status active|disabled] [--limit N] [--cursor C] [--all]",
    help: `Options:\n  --owner O       only this owner's endpoints\n  --status S      active or disabled\n${LIST_HELP}`,
    options: { owner: { type: "string" }, status: { type: "string" }, ...LIST_OPTIONS },
    async run({ client, values, json, path }) {
      const limit = limitOf(values.limit, path);
      const query = { owner_id: values.owner, status: values.status, limit };
      await printList(values, (cursor) => client.endpoints.list({ ...query, cursor }), endpointTable, json);
    },
  },
  get: {
    summary: "Show one endpoint",
    usage: "<endpoint-id>",
    positionals: ["endpoint-id"],
    options: {},
    async run({ client, args, json }) {
      const endpoint = await client.endpoints.get(args[0]);
      if (json) printJson(endpoint);
      else printRecord(endpoint);
    },
  },
  create: {
    summary: "Create an endpoint (prints its signing secret)",
    usage: "<endpoint-url> --owner O [--description D] [--secret whsec_…] [--timeout-ms N] [--body JSON]",
    help: `Options:
  --owner O         owner of the endpoint (required unless in --body or implied by an owner key)
  --description D   free text
  --secret S        signing secret (whsec_…); generated when absent
  --timeout-ms N    1000..30000 (default 10000)
  --body JSON       any further fields of POST /v1/endpoints (retry, rate_limit, auth, metadata); flags win`,
    positionals: ["endpoint-url"],
    options: {
      owner: { type: "string" },
      description: { type: "string" },
      secret: { type: "string" },
      "timeout-ms": { type: "string" },
      body: { type: "string" },
    },
    async run({ client, values, args, json, path }) {
      const body = values.body ? jsonOf(values.body, "--body", path) : {};
      body.url = args[0];
      if (values.owner) body.owner_id = values.owner;
      if (values.description) body.description = values.description;
      if (values.secret) body.secret = values.secret;
      if (values["timeout-ms"] !== undefined) body.timeout_ms = Number(values["timeout-ms"]);
      const endpoint = await client.endpoints.create(body);
      if (json) printJson(endpoint);
      else printRecord(endpoint, ["delivery_state"]);
    },
  },
  delete: {
    summary: "Delete an endpoint",
    usage: "<endpoint-id>",
    positionals: ["endpoint-id"],
    options: {},
    async run({ client, args, json }) {
      await client.endpoints.delete(args[0]);
      if (json) printJson({ id: args[0], deleted: true });
      else process.stdout.write(`deleted ${args[0]}\n`);
    },
  },
};

