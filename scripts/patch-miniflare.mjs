// postinstall: makes local Miniflare's queue broker survive a failed flush.
//
// Why: in Miniflare's QueueBrokerObject, `#flush` clears `#pendingFlush` only at its very end. If anything
// in between throws (its log call is a loopback fetch to the Node process, which can fail when the machine
// is overloaded), `#pendingFlush` stays set forever and the queue never dispatches again until a full batch
// (100 messages) arrives: accepted events then sit in memory unconsumed. Production Queues are unaffected.
// This patch (1) makes the broker's log calls best-effort and (2) resets and re-arms the flush when one
// throws. It is idempotent, touches only local-dev files, and skips (with a warning) a Miniflare whose
// source no longer matches, e.g. after an upgrade that fixed it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const MARK = "/* hookrelay-patched */";

function patchFile(path, replacements) {
  if (!existsSync(path)) return "missing";
  let source = readFileSync(path, "utf8");
  if (source.includes(MARK)) return "already";
  for (const [from, to] of replacements) {
    if (!source.includes(from)) return "unmatched";
    source = source.replace(from, to);
  }
  writeFileSync(path, `${MARK}\n${source}`);
  return "patched";
}

const brokerFlush = [
  [
    "  #flush = async () => {\n    let consumer = this.#maybeConsumer;",
    "  #flush = async () => {\n    try {\n      await this.#flushBatch();\n    } catch (e) {\n      this.#pendingFlush = void 0;\n      this.#messages.length > 0 && this.#ensurePendingFlush();\n    }\n  };\n  #flushBatch = async () => {\n    let consumer = this.#maybeConsumer;",
  ],
];
const sharedLog = [
  [
    "  async logWithLevel(level, message) {\n    await this.env[",
    "  async logWithLevel(level, message) {\n    try { await this.#logWithLevelUnsafe(level, message); } catch {}\n  }\n  async #logWithLevelUnsafe(level, message) {\n    await this.env[",
  ],
];

/** Every installed copy of miniflare: top level and nested under packages (wrangler, the vitest plugin). */
function miniflareCopies(dir = "node_modules", depth = 0) {
  const found = [];
  if (!existsSync(dir) || depth > 3) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === ".bin") continue;
    const path = join(dir, entry.name);
    if (entry.name === "miniflare") found.push(path);
    else if (entry.name.startsWith("@")) found.push(...miniflareCopies(path, depth));
    else if (existsSync(join(path, "node_modules"))) found.push(...miniflareCopies(join(path, "node_modules"), depth + 1));
  }
  return found;
}

const roots = miniflareCopies();
let problems = 0;
for (const root of new Set(roots)) {
  for (const [file, replacements] of [
    [`${root}/dist/src/workers/queues/broker.worker.js`, brokerFlush],
    [`${root}/dist/src/workers/shared/index.worker.js`, sharedLog],
  ]) {
    const result = patchFile(file, replacements);
    if (result === "unmatched") {
      problems++;
      console.warn(`patch-miniflare: ${file} changed upstream; not patched (check whether the flush bug is fixed).`);
    }
  }
}
if (problems === 0) console.log("patch-miniflare: local queue broker hardened.");
