// Generates sdk/src/schema.ts (the API's types) from HookRelay's live /openapi.json with openapi-typescript.
// `npm run sdk:generate [-- URL]` reads the spec from URL (default http://127.0.0.1:8787, i.e. `npm start`); when
// nothing answers there and no URL was given, it starts its own `wrangler dev` on a free port for the spec.
// test/e2e/sdk.test.ts regenerates through the same renderSchema() and fails when the committed file differs.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";

export const SCHEMA_PATH = fileURLToPath(new URL("../src/schema.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Renders the TypeScript for one OpenAPI document (object or JSON text). Deterministic for one input. */
export async function renderSchema(spec) {
  const text = typeof spec === "string" ? spec : JSON.stringify(spec);
  // defaultNonNullable: false keeps request fields the server defaults (timeout_ms, retry…) optional.
  const ast = await openapiTS(text, { silent: true, alphabetize: true, defaultNonNullable: false });
  return COMMENT_HEADER + "// Regenerate with `npm run sdk:generate` (reads /openapi.json of a running server, or starts one).\n\n" + astToString(ast);
}

export async function fetchSpec(baseUrl) {
  const res = await fetch(new URL("/openapi.json", baseUrl));
  if (!res.ok) throw new Error(`GET ${baseUrl}/openapi.json → ${res.status}`);
  return res.text();
}

/** Starts a throwaway `wrangler dev` (own state folder, placeholder secrets) and returns its spec. */
async function specFromOwnWorker() {
  const port = await new Promise((resolve, reject) => {
    const srv = createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  const state = mkdtempSync(join(tmpdir(), "hookrelay-spec-"));
  const args = ["wrangler", "dev", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", "0", "--persist-to", state,
    "--show-interactive-dev-session=false", "--var", "ADMIN_API_KEY:spec-only", "--var", "ENCRYPTION_KEY:spec-only"];
  const child = spawn("npx", args, { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let logs = "";
  child.stdout.on("data", (d) => (logs += d));
  child.stderr.on("data", (d) => (logs += d));
  try {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited (is dashboard/dist built? npm run build:dashboard):\n${logs}`);
      try {
        return await fetchSpec(`http://127.0.0.1:${port}`);
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    throw new Error(`wrangler dev did not answer within 120 s:\n${logs}`);
  } finally {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
    rmSync(state, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const given = process.argv[2] ?? process.env.HOOKRELAY_URL;
  const base = given ?? "http://127.0.0.1:8787";
  let spec;
  try {
    spec = await fetchSpec(base);
  } catch (err) {
    if (given) throw err;
    console.log(`nothing answers at ${base}; starting a wrangler dev for the spec`);
    spec = await specFromOwnWorker();
  }
  writeFileSync(SCHEMA_PATH, await renderSchema(spec));
  console.log(`wrote ${SCHEMA_PATH}`);
}
