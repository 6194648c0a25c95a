// How the CLI speaks: aligned tables for people, JSON for scripts, and the exit codes scripts rely on
// (0 success, 1 API error with its problem printed, 2 bad usage).
import { HookRelayError } from "../dist/index.js";

export const EXIT_OK = 0;
export const EXIT_API = 1;
export const EXIT_USAGE = 2;

/** Bad flags or arguments: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {
  /** @param {string} message @param {string} [helpFor] the command whose --help to point at */
  constructor(message, helpFor) {
    super(message);
    this.helpFor = helpFor;
  }
}

/** @param {unknown} value */
export function printJson(value) {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/**
 * Prints rows as an aligned table; `columns` maps a header to a cell getter.
 * @template T
 * @param {T[]} rows
 * @param {Record<string, (row: T) => unknown>} columns
 */
export function printTable(rows, columns) {
  const headers = Object.keys(columns);
  const cells = rows.map((row) => headers.map((h) => cell(columns[h](row))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (/** @type {string[]} */ values) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  process.stdout.write([line(headers), ...cells.map(line)].join("\n") + "\n");
  if (rows.length === 0) process.stdout.write("(none)\n");
}

/**
 * Prints an object as "key: value" lines (nested values as compact JSON).
 * @param {Record<string, unknown>} record
 * @param {string[]} [skip]
 */
export function printRecord(record, skip = []) {
  const keys = Object.keys(record).filter((k) => !skip.includes(k));
  const width = Math.max(...keys.map((k) => k.length));
  for (const k of keys) process.stdout.write(`${(k + ":").padEnd(width + 1)} ${cell(record[k])}\n`);
}

/** @param {unknown} value */
export function cell(value) {
  if (value === null || value === undefined) return "-";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/**
 * Turns any thrown error into output and an exit code.
 * @param {unknown} err
 * @param {{ json: boolean, url: string }} ctx
 * @returns {number}
 */
export function reportError(err, ctx) {
  if (err instanceof UsageError) {
    process.stderr.write(`hookrelay: ${err.message}\n`);
    process.stderr.write(`Run 'hookrelay ${err.helpFor ? err.helpFor + " " : ""}--help' for usage.\n`);
    return EXIT_USAGE;
  }
  if (err instanceof HookRelayError) {
    if (ctx.json) {
      process.stderr.write(JSON.stringify(err.toJSON(), null, 2) + "\n");
    } else {
      process.stderr.write(`error: ${err.status} ${err.code}${err.detail ? `: ${err.detail}` : ""}\n`);
      for (const e of err.errors) process.stderr.write(`  ${e.path || "(body)"}: ${e.message}\n`);
      if (err.requestId) process.stderr.write(`  request id: ${err.requestId}\n`);
    }
    return EXIT_API;
  }
  // fetch failures (server down, DNS): an API-side failure for scripts, not a usage error.
  const message = err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ""}` : String(err);
  const problem = { status: null, code: "network_error", detail: `cannot reach ${ctx.url}: ${message}` };
  process.stderr.write(ctx.json ? JSON.stringify(problem, null, 2) + "\n" : `error: ${problem.detail}\n`);
  return EXIT_API;
}
