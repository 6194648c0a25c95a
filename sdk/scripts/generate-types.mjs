// Generates sdk/src/schema.ts (the API's types) from HookRelay's live /openapi.json with openapi-typescript.
// `npm run sdk:generate [-- URL]` writes it; test/e2e/sdk-schema.test.ts regenerates from a real `wrangler dev`
// through the same renderSchema() and fails when the committed file differs.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";

export const SCHEMA_PATH = fileURLToPath(new URL("../src/schema.ts", import.meta.url));

/** Renders the TypeScript for one OpenAPI document (object or JSON text). Deterministic for one input. */
export async function renderSchema(spec) {
  const text = typeof spec === "string" ? spec : JSON.stringify(spec);
  const ast = await openapiTS(text, { silent: true, alphabetize: true, defaultNonNullable: false });
  return COMMENT_HEADER + "// Regenerate with `npm run sdk:generate` against a running server (default http://127.0.0.1:8787).\n\n" + astToString(ast);
}

export async function fetchSpec(baseUrl) {
  const res = await fetch(new URL("/openapi.json", baseUrl));
  if (!res.ok) throw new Error(`GET ${baseUrl}/openapi.json → ${res.status}`);
  return res.text();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const base = process.argv[2] ?? process.env.HOOKRELAY_URL ?? "http://127.0.0.1:8787";
  writeFileSync(SCHEMA_PATH, await renderSchema(await fetchSpec(base)));
  console.log(`wrote ${SCHEMA_PATH} from ${base}/openapi.json`);
}
