// The quick start's promise: a real `wrangler dev` comes up migrated and serves health, docs and the API.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain .mjs script without type declarations
import { parseDevVars } from "../../scripts/dev-vars.mjs";
import { freePort, startWorker, waitFor, type RunningWorker } from "./support/worker";

let worker: RunningWorker;
beforeAll(async () => {
  worker = await startWorker();
});
afterAll(async () => {
  await worker?.stop();
});

describe("wrangler dev", () => {
  it("serves /healthz, /openapi.json, /docs and the authenticated API", async () => {
    expect((await worker.api("GET", "/healthz", undefined, null)).json).toEqual({ ok: true });
    const spec = await worker.api("GET", "/openapi.json", undefined, null);
    expect(spec.json.openapi).toBe("3.1.0");
    const docs = await fetch(`${worker.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await docs.text()).toContain("/docs-ui/init.js");
    expect((await worker.api("GET", "/v1/api-keys", undefined, null)).status).toBe(401);
    const created = await worker.api("POST", "/v1/api-keys", { name: "e2e", owner_id: "acme" });
    expect(created.status).toBe(201);
  });

  it("serves the dashboard at /", async () => {
    const res = await fetch(`${worker.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
  });
});

// `npm start` itself (scripts/start.mjs) in a fresh copy of the project (symlinks to this checkout, its own
// .dev.vars and .wrangler/state), then the README's walk-through block run word for word against it.
describe("npm start and the README walk-through", () => {
  let project: string;
  let start: ChildProcess | undefined;
  let walk: ChildProcess | undefined;
  const output = { start: "", walk: "" };
  let port = 0;
  let bannerSeenWhileHealthy = false;

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), "hookrelay-start-"));
    for (const entry of ["node_modules", "src", "dashboard", "migrations", "scripts", "tsconfig.json", "package.json", "worker-configuration.d.ts"]) {
      symlinkSync(resolve(entry), join(project, entry));
    }
    copyFileSync("wrangler.toml", join(project, "wrangler.toml"));
    copyFileSync("README.md", join(project, "README.md"));
    port = await freePort();
    start = spawn("node", ["scripts/start.mjs"], {
      cwd: project,
      env: { ...process.env, PORT: String(port), CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    start.stdout!.on("data", (d) => (output.start += String(d)));
    start.stderr!.on("data", (d) => (output.start += String(d)));
    // The banner comes only after the server answers: check /healthz the moment it appears.
    await waitFor(async () => output.start.includes("HookRelay is ready on") || start!.exitCode !== null, 180_000, 100);
    bannerSeenWhileHealthy = (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true;
  }, 240_000);

  afterAll(async () => {
    for (const child of [walk, start]) {
      try {
        if (child?.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it("ends with one banner, printed once the server answers, that says where everything is", () => {
    expect(start!.exitCode, output.start).toBeNull();
    expect(bannerSeenWhileHealthy, output.start).toBe(true);
    const url = `http://127.0.0.1:${port}`;
    expect(output.start.match(/HookRelay is ready on/g)).toHaveLength(1);
    const bannerText = output.start.slice(output.start.indexOf("HookRelay is ready on"));
    expect(bannerText).toContain(`${url}/docs`);
    expect(bannerText).toMatch(/Admin key\s+ADMIN_API_KEY in \.dev\.vars/);
    const adminKey = parseDevVars(readFileSync(join(project, ".dev.vars"), "utf8")).ADMIN_API_KEY!;
    expect(bannerText).toContain(adminKey);
    expect(bannerText).toMatch(/Cron\s+this script fires it every minute/);
  });

  it("prints the bindings once, and neither wrangler's cron warning nor the offline Request.cf stack trace", () => {
    expect(output.start.match(/Your Worker has access to the following bindings/g)).toHaveLength(1);
    expect(output.start).not.toContain("Scheduled Workers are not automatically triggered");
    expect(output.start).not.toContain("Unable to fetch the `Request.cf` object");
    // Quiet steps: migrations and build say one line each instead of their tables.
    expect(output.start).toMatch(/✔ D1 migrations applied to the local database\./);
    expect(output.start).not.toContain("About to apply");
  });

  it("runs the README walk-through by copy-paste: ids captured, deliveries printed with ✓ verified signatures", async () => {
    const readme = readFileSync("README.md", "utf8");
    const block = /<!-- walkthrough:start[^>]*-->\s*```sh\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme)?.[1];
    expect(block, "README has the walk-through block").toBeTruthy();
    const receiverPort = await freePort();
    // The same commands on this test's ports (the README uses 8787 and 9000).
    const script = block!.replaceAll("127.0.0.1:8787", `127.0.0.1:${port}`).replaceAll("9000", String(receiverPort));
    walk = spawn("bash", ["-c", `set -e\n${script}\nwait`], { cwd: project, stdio: ["ignore", "pipe", "pipe"], detached: true });
    walk.stdout!.on("data", (d) => (output.walk += String(d)));
    walk.stderr!.on("data", (d) => (output.walk += String(d)));

    // Two deliveries (the order event and the test event), each printed with its headers and verified.
    await waitFor(async () => (output.walk.match(/✓ signature verified/g)?.length ?? 0) >= 2 || walk!.exitCode !== null, 60_000, 100);
    expect(output.walk.match(/✓ signature verified/g)?.length, output.walk).toBe(2);
    expect(output.walk).not.toContain("✗");
    expect(output.walk).toMatch(/endpoint ep_\w+/);
    expect(output.walk).toMatch(/event evt_\w+/);
    for (const header of ["webhook-id: evt_", "webhook-timestamp: ", "webhook-signature: v1,", "hookrelay-event-type: order.created", "hookrelay-event-type: hookrelay.test"]) {
      expect(output.walk).toContain(header);
    }
    expect(output.walk).toContain('body: {"id":42}');
    // Step 5 printed both records (after its sleep): the event with its delivery, and the test delivery.
    await waitFor(async () => output.walk.includes('"attempts":[') || walk!.exitCode !== null, 30_000, 100);
    expect(output.walk).toMatch(/"deliveries":\[\{"id":"dlv_/);
  }, 120_000);
});
