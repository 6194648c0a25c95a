// Where the CLI talks to and with which key: flags, then HOOKRELAY_URL / HOOKRELAY_API_KEY, then (for a
// local URL only) ADMIN_API_KEY from ./.dev.vars, the file `npm start` creates.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import { UsageError } from "./output.mjs";

export const DEFAULT_URL = "http://127.0.0.1:8787";
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/**
 * @param {{ url?: string, key?: string }} flags
 * @param {NodeJS.ProcessEnv} env
 * @param {string} cwd
 * @returns {{ url: string, key: string }}
 */
export function resolveSettings(flags, env = process.env, cwd = process.cwd()) {
  const url = flags.url ?? env.HOOKRELAY_URL ?? DEFAULT_URL;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url: not a URL: ${url}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`--url: must be http or https: ${url}`);
  const key = flags.key ?? env.HOOKRELAY_API_KEY ?? (LOCAL_HOSTS.has(parsed.hostname) ? devVarsAdminKey(cwd) : undefined);
  if (!key) {
    throw new UsageError(
      `no API key: pass --key or set HOOKRELAY_API_KEY${LOCAL_HOSTS.has(parsed.hostname) ? " (no ADMIN_API_KEY in ./.dev.vars either)" : ""}`,
    );
  }
  return { url: parsed.origin + parsed.pathname.replace(/\/+$/, ""), key };
}

/** @param {string} cwd */
function devVarsAdminKey(cwd) {
  const path = resolve(cwd, ".dev.vars");
  if (!existsSync(path)) return undefined;
  return parseEnv(readFileSync(path, "utf8")).ADMIN_API_KEY || undefined;
}
