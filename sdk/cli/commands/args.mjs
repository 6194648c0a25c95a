// Shared flag readers: each turns a raw string into a checked value or a UsageError (exit 2).
import { paginate } from "../../dist/index.js";
import { UsageError } from "../output.mjs";

export const LIST_OPTIONS = {
  limit: { type: "string" },
  cursor: { type: "string" },
  all: { type: "boolean", default: false },
};
export const LIST_HELP = `  --limit N       page size, 1..500 (default 50)
  --cursor C      start from this page cursor
  --all           follow cursors and print every item`;

/** @param {string | undefined} raw @param {string} path */
export function limitOf(raw, path) {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new UsageError(`--limit must be an integer from 1 to 500`, path);
  return n;
}

/** @param {string} raw @param {string} flag @param {string} path */
export function jsonOf(raw, flag, path) {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new UsageError(`${flag} is not valid JSON: ${err instanceof Error ? err.message : err}`, path);
  }
}

/** @param {Record<string, any>} values @param {string} name @param {string} path */
export function required(values, name, path) {
  const v = values[name];
  if (v === undefined || v === "") throw new UsageError(`--${name} is required`, path);
  return v;
}

/** Reads all of stdin as text (the payload of `events send` when --data is absent). */
export async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Prints one page, or with --all every page, of a list call.
 * @param {Record<string, any>} values
 * @param {(cursor?: string) => Promise<{ data: any[], next_cursor: string | null }>} listPage
 * @param {(rows: any[]) => void} table
 * @param {boolean} json
 */
export async function printList(values, listPage, table, json) {
  if (!values.all) {
    const page = await listPage(values.cursor);
    if (json) {
      process.stdout.write(JSON.stringify(page, null, 2) + "\n");
      return;
    }
    table(page.data);
    if (page.next_cursor) process.stdout.write(`next page: --cursor ${page.next_cursor}\n`);
    return;
  }
  const all = [];
  // The SDK's iterator follows cursors and refuses a repeated one, so this walk is bounded by the server's data.
  for await (const item of paginate((cursor) => listPage(cursor ?? values.cursor))) all.push(item);
  if (json) process.stdout.write(JSON.stringify({ data: all, next_cursor: null }, null, 2) + "\n");
  else table(all);
}
