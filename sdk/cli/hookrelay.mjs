#!/usr/bin/env node
// `hookrelay`: HookRelay from the terminal. Plain ESM for Node ≥ 20 (no build step at run time); it drives the
// SDK's compiled client in ../dist (built by `npm install`'s postinstall or `npm run build:sdk`).
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";

const distIndex = new URL("../dist/index.js", import.meta.url);
if (!existsSync(distIndex)) {
  process.stderr.write("hookrelay: the SDK is not built (sdk/dist missing). Run `npm install` or `npm run build:sdk` first.\n");
  process.exit(2);
}
const { createHookRelay } = await import("../dist/index.js");
const { EXIT_OK, EXIT_USAGE, UsageError, reportError } = await import("./output.mjs");
const { resolveSettings, DEFAULT_URL } = await import("./settings.mjs");
const { commands } = await import("./commands/index.mjs");

/** @type {import("node:util").ParseArgsConfig["options"]} */
const GLOBAL_OPTIONS = {
  url: { type: "string" },
  key: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
};

const GLOBAL_HELP = `Global options:
  --url URL     HookRelay origin (env HOOKRELAY_URL, default ${DEFAULT_URL})
  --key KEY     API key (env HOOKRELAY_API_KEY; for a local URL, ADMIN_API_KEY from ./.dev.vars)
  --json        print JSON instead of tables
  -h, --help    show help
Exit codes: 0 success, 1 API error (problem printed to stderr), 2 bad usage.`;

function topHelp() {
  const lines = ["Usage: hookrelay <command> [subcommand] [options]", "", "Commands:"];
  for (const [group, subs] of Object.entries(commands)) {
    for (const [name, cmd] of Object.entries(subs)) lines.push(`  ${`${group}${name ? " " + name : ""}`.padEnd(24)}${cmd.summary}`);
  }
  return [...lines, "", GLOBAL_HELP, "", "Run 'hookrelay <command> --help' for a command's options."].join("\n");
}

/** @param {string} group */
function groupHelp(group) {
  const lines = [`Usage: hookrelay ${group} <subcommand> [options]`, "", "Subcommands:"];
  for (const [name, cmd] of Object.entries(commands[group])) lines.push(`  ${name.padEnd(10)}${cmd.summary}`);
  return lines.join("\n");
}

/** Splits argv into the command path (leading words, skipping global options) and the rest. */
function findCommand(argv) {
  const rest = [];
  const words = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const known = words.length === 2 || (words.length === 1 && commands[words[0]] && "" in commands[words[0]]);
    if (!known && !token.startsWith("-")) {
      words.push(token);
      continue;
    }
    rest.push(token);
    // A global option's value is not a command word.
    if (!known && (token === "--url" || token === "--key") && i + 1 < argv.length) rest.push(argv[++i]);
  }
  return { words, rest };
}

async function main(argv) {
  const { words, rest } = findCommand(argv);
  const wantsHelp = rest.includes("--help") || rest.includes("-h");
  if (words.length === 0) {
    if (wantsHelp) {
      process.stdout.write(topHelp() + "\n");
      return EXIT_OK;
    }
    if (rest.length === 0) {
      process.stderr.write(topHelp() + "\n");
      return EXIT_USAGE;
    }
    throw new UsageError("missing command");
  }
  const [groupName, subName = ""] = words;
  const group = commands[groupName];
  if (!group) throw new UsageError(`unknown command '${groupName}'`);
  const cmd = group[subName];
  if (!cmd) {
    if (!subName && wantsHelp) {
      process.stdout.write(groupHelp(groupName) + "\n");
      return EXIT_OK;
    }
    throw new UsageError(subName ? `unknown subcommand '${groupName} ${subName}'` : `'${groupName}' needs a subcommand`, groupName);
  }
  const path = `${groupName}${subName ? " " + subName : ""}`;
  if (wantsHelp) {
    process.stdout.write(`Usage: hookrelay ${path} ${cmd.usage}\n\n${cmd.summary}\n${cmd.help ? "\n" + cmd.help + "\n" : ""}\n${GLOBAL_HELP}\n`);
    return EXIT_OK;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), path);
  }
  const expected = cmd.positionals ?? [];
  if (parsed.positionals.length !== expected.length) {
    throw new UsageError(expected.length ? `expected ${expected.map((p) => `<${p}>`).join(" ")}` : `unexpected argument '${parsed.positionals[0]}'`, path);
  }
  const values = /** @type {Record<string, any>} */ (parsed.values);
  ctx.json = Boolean(values.json);
  const settings = resolveSettings({ url: values.url, key: values.key });
  ctx.url = settings.url;
  const client = createHookRelay({ baseUrl: settings.url, apiKey: settings.key });
  await cmd.run({ client, values, args: parsed.positionals, json: ctx.json, settings, path });
  return EXIT_OK;
}

const ctx = { json: process.argv.includes("--json"), url: DEFAULT_URL };
let code;
try {
  code = await main(process.argv.slice(2));
} catch (err) {
  code = reportError(err, ctx);
}
process.exitCode = code ?? EXIT_USAGE;
