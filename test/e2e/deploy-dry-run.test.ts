// The production build: `wrangler deploy --dry-run` bundles the Worker exactly as `npm run deploy` would,
// without uploading. Prints the bundle size (raw and gzip), the figure Cloudflare's size limits apply to.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";

/** Workers' compressed size limit on the Free plan (the Paid plan allows 10 MiB). */
const FREE_PLAN_GZIP_LIMIT = 3 * 1024 * 1024;

const outdir = mkdtempSync(join(tmpdir(), "hookrelay-dry-run-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("wrangler deploy --dry-run", () => {
  it("builds the production bundle, within the Workers size limit", () => {
    // wrangler refuses a missing assets folder; `npm test` builds the dashboard first, a lone run may not have.
    if (!existsSync("dashboard/dist")) {
      const build = spawnSync("node", ["scripts/build-dashboard.mjs"], { encoding: "utf8" });
      expect(build.status, build.stderr).toBe(0);
    }
    const result = spawnSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir], {
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
      timeout: 110_000,
    });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(0);
    expect(output).toContain("--dry-run: exiting now.");
    for (const binding of ["env.DB", "env.ENDPOINT_DO", "env.INGEST_SOCKET", "env.EVENTS_QUEUE", "env.RETRIES_QUEUE", "env.ASSETS"]) {
      expect(output).toContain(binding);
    }

    const bundlePath = join(outdir, "index.js");
    expect(existsSync(bundlePath)).toBe(true);
    const bundle = readFileSync(bundlePath);
    const rawBytes = statSync(bundlePath).size;
    const gzipBytes = gzipSync(bundle, { level: 9 }).length;
    const kib = (n: number) => (n / 1024).toFixed(1);
    console.log(`production bundle: ${kib(rawBytes)} KiB raw, ${kib(gzipBytes)} KiB gzip (${bundlePath})`);

    // The Durable Object classes must be exported by the bundle, or the deploy's migrations fail.
    const source = bundle.toString("utf8");
    for (const cls of ["EndpointDO", "IngestSocket", "IdempotencyDO"]) {
      expect(source).toMatch(new RegExp(`export\\s*\\{[^}]*\\b${cls}\\b`));
    }
    // Our measurement and wrangler's own "Total Upload" figure describe the same file.
    const reported = /Total Upload: ([\d.]+) KiB/.exec(output);
    expect(reported, output).not.toBeNull();
    expect(Math.abs(Number(reported![1]) - rawBytes / 1024)).toBeLessThan(1);
    expect(gzipBytes).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
  });
});
