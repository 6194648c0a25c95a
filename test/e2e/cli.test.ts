// The `hookrelay` CLI as a subprocess against a real `wrangler dev`: exit codes (0/1/2), --json, tables,
// stdin payloads, problem output, the .dev.vars default key, --help everywhere, and `tail` following deliveries.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "./support/receiver";
import { buildSdk, ROOT } from "./support/sdk-build";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";

const CLI = join(ROOT, "sdk/cli/hookrelay.mjs");
// The machine's own node (20 here) when present: the CLI promises to run on plain Node ≥ 20.
const NODE = existsSync("/usr/bin/node") ? "/usr/bin/node" : process.execPath;

let worker: RunningWorker;
let receiver: Receiver;

beforeAll(async () => {
  buildSdk();
  [worker, receiver] = await Promise.all([startWorker(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([worker?.stop(), receiver?.close()]);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { input?: string; env?: Record<string, string | undefined>; cwd?: string } = {}): Run {
  const env: Record<string, string | undefined> = { ...process.env, HOOKRELAY_URL: worker.url, HOOKRELAY_API_KEY: worker.adminKey, ...opts.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const out = spawnSync(NODE, [CLI, ...args], { cwd: opts.cwd ?? ROOT, input: opts.input ?? "", encoding: "utf8", env, timeout: 60_000 });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}
const json = (run: Run) => JSON.parse(run.stdout);

describe("usage", () => {
  it("prints --help for every command and subcommand with exit 0", () => {
    const top = cli(["--help"]);
    expect(top.code).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}(\w+(?: \w+)?) {2,}/gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(["endpoints list", "subscriptions create", "events send", "deliveries retry", "tail"]));
    for (const command of commands) {
      const run = cli([...command.split(" "), "--help"]);
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toContain(`Usage: hookrelay ${command}`);
    }
    expect(cli(["events", "--help"]).stdout).toContain("send");
  });

  it("exits 2 on bad usage, with a pointer to --help", () => {
    const cases = [
      [],
      ["nope"],
      ["endpoints"],
      ["endpoints", "frobnicate"],
      ["endpoints", "list", "--bogus"],
      ["endpoints", "get"],
      ["events", "send", "--owner", "a"],
      ["events", "send", "--owner", "a", "--type", "t", "--data", "{not json"],
      ["events", "list"],
      ["deliveries", "list"],
      ["endpoints", "list", "--limit", "0"],
      ["tail"],
      ["tail", "--owner", "a", "--interval", "0"],
    ];
    for (const args of cases) {
      const run = cli(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr, args.join(" ")).toMatch(/hookrelay/);
    }
    expect(cli(["events", "list"]).stderr).toContain("--owner is required");
    expect(cli(["deliveries", "list"]).stderr).toContain("--endpoint, --event, --owner");
  });

  it("runs from `npx hookrelay` in the repository", () => {
    const out = spawnSync("npx", ["--no-install", "hookrelay", "--help"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(out.status).toBe(0);
    expect(out.stdout).toContain("Usage: hookrelay <command>");
  });
});

describe("settings", () => {
  it("takes the admin key from ./.dev.vars for a local URL, and refuses to guess for a remote one", () => {
    const dir = mkdtempSync(join(tmpdir(), "hookrelay-cli-"));
    try {
      writeFileSync(join(dir, ".dev.vars"), `# local\nADMIN_API_KEY="${worker.adminKey}"\n`);
      const local = cli(["endpoints", "list", "--json"], { cwd: dir, env: { HOOKRELAY_API_KEY: undefined } });
      expect(local.code).toBe(0);
      expect(json(local)).toHaveProperty("data");
      const remote = cli(["endpoints", "list", "--url", "https://hookrelay.example.com"], { cwd: dir, env: { HOOKRELAY_API_KEY: undefined } });
      expect(remote.code).toBe(2);
      expect(remote.stderr).toContain("no API key");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 1 with the problem when the key is wrong or the server is unreachable", () => {
    const denied = cli(["endpoints", "list", "--key", "wrong"]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("401 unauthorized");
    const deniedJson = cli(["endpoints", "list", "--key", "wrong", "--json"]);
    expect(JSON.parse(deniedJson.stderr)).toMatchObject({ status: 401, code: "unauthorized" });
    expect(deniedJson.stdout).toBe("");
    const down = cli(["endpoints", "list", "--url", "http://127.0.0.1:1"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("cannot reach http://127.0.0.1:1");
  });
});

describe("commands", () => {
  it("manages endpoints and subscriptions, as tables and as JSON", () => {
    const created = cli(["endpoints", "create", `${receiver.url}/cli`, "--owner", "cli-acme", "--description", "from cli", "--json"]);
    expect(created.code).toBe(0);
    const ep = json(created);
    expect(ep).toMatchObject({ owner_id: "cli-acme", description: "from cli", url: `${receiver.url}/cli` });

    const table = cli(["endpoints", "list", "--owner", "cli-acme"]);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+OWNER\s+STATUS\s+URL\s+CREATED$/);
    expect(table.stdout).toContain(ep.id);
    expect(json(cli(["endpoints", "get", ep.id, "--json"])).id).toBe(ep.id);

    const sub = json(cli(["subscriptions", "create", "--endpoint", ep.id, "--types", "order.*,invoice.paid", "--json"]));
    expect(sub.event_types).toEqual(["order.*", "invoice.paid"]);
    expect(cli(["subscriptions", "list", "--endpoint", ep.id]).stdout).toContain("order.*,invoice.paid");
    expect(cli(["subscriptions", "delete", sub.id]).code).toBe(0);
    expect(json(cli(["subscriptions", "list", "--endpoint", ep.id, "--json"])).data).toEqual([]);

    const bad = cli(["endpoints", "create", "not-a-url", "--owner", "cli-acme"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("422 validation_failed");
    expect(bad.stderr).toMatch(/url: /);

    expect(cli(["endpoints", "delete", ep.id]).code).toBe(0);
    const gone = cli(["endpoints", "get", ep.id, "--json"]);
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stderr)).toMatchObject({ status: 404, code: "not_found", request_id: expect.stringMatching(/^req_/) });
  });

  it("sends events from --data and from stdin, then shows them and their deliveries", async () => {
    const ep = json(cli(["endpoints", "create", `${receiver.url}/events`, "--owner", "cli-send", "--json"]));
    expect(cli(["subscriptions", "create", "--endpoint", ep.id, "--types", "*"]).code).toBe(0);

    const fromFlag = cli(["events", "send", "--owner", "cli-send", "--type", "order.created", "--data", '{"n":1}']);
    expect(fromFlag.code).toBe(0);
    const id1 = fromFlag.stdout.trim();
    expect(id1).toMatch(/^evt_/);
    const fromStdin = cli(["events", "send", "--owner", "cli-send", "--type", "order.created", "--json"], { input: '{"n":2,"s":"ü"}\n' });
    expect(fromStdin.code).toBe(0);
    const id2 = json(fromStdin).id;

    const keyed = ["events", "send", "--owner", "cli-send", "--type", "order.created", "--data", "3", "--idempotency-key", "cli-k", "--json"];
    expect(json(cli(keyed)).id).toBe(json(cli(keyed)).id);

    const bodies = await waitFor(async () => {
      const got = receiver.received.filter((r) => r.path === "/events").map((r) => [r.headers["webhook-id"], r.body]);
      return got.length >= 3 ? got : undefined;
    });
    expect(bodies).toEqual(expect.arrayContaining([[id1, '{"n":1}'], [id2, '{"n":2,"s":"ü"}']]));

    const shown = json(cli(["events", "get", id2, "--json"]));
    expect(shown.payload).toEqual({ n: 2, s: "ü" });
    const listed = cli(["events", "list", "--owner", "cli-send", "--limit", "1", "--all", "--json"]);
    expect(json(listed).data.map((e: { id: string }) => e.id)).toEqual(expect.arrayContaining([id1, id2]));
    expect(json(listed).data).toHaveLength(3);

    const delivery = await waitFor(async () => {
      const page = json(cli(["deliveries", "list", "--event", id1, "--json"]));
      return page.data[0]?.status === "succeeded" ? page.data[0] : undefined;
    });
    const detail = cli(["deliveries", "get", delivery.id]);
    expect(detail.code).toBe(0);
    expect(detail.stdout).toMatch(/attempts:\n#\s+STARTED\s+CODE\s+MS\s+ERROR\n1\s+\S+\s/);
    expect(detail.stdout).toMatch(/\n\d+\s+\S+\s+200\s+\d+\s+-\n/); // the attempt that succeeded
    expect(cli(["deliveries", "list", "--owner", "cli-send"]).stdout).toContain(delivery.id);

    const attemptsBefore = json(cli(["deliveries", "get", delivery.id, "--json"])).attempts.length;
    expect(cli(["deliveries", "retry", delivery.id]).code).toBe(0);
    await waitFor(async () => json(cli(["deliveries", "get", delivery.id, "--json"])).attempts.length > attemptsBefore);
  });

  it("tail prints new deliveries as they happen and stops cleanly on Ctrl-C", async () => {
    const ep = json(cli(["endpoints", "create", `${receiver.url}/tail`, "--owner", "cli-tail", "--json"]));
    cli(["subscriptions", "create", "--endpoint", ep.id, "--types", "*"]);
    const before = cli(["events", "send", "--owner", "cli-tail", "--type", "old.event", "--data", "{}"]).stdout.trim();
    await waitFor(async () => json(cli(["deliveries", "list", "--event", before, "--json"])).data[0]?.status === "succeeded");

    const child = spawn(NODE, [CLI, "tail", "--owner", "cli-tail", "--interval", "0.3", "--json"], {
      env: { ...process.env, HOOKRELAY_URL: worker.url, HOOKRELAY_API_KEY: worker.adminKey },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await waitFor(async () => stderr.includes("following deliveries"));
      const fresh = cli(["events", "send", "--owner", "cli-tail", "--type", "new.event", "--data", '{"x":1}']).stdout.trim();
      const lines = await waitFor(async () => {
        const parsed = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
        return parsed.some((d) => d.event_id === fresh && d.status === "succeeded") ? parsed : undefined;
      });
      expect(lines.every((d) => d.event_id === fresh)).toBe(true); // the delivery from before the start is not shown
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
