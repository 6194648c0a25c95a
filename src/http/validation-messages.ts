// The one mapping from zod issues to messages a person can act on: every message names the field and says
// what it expects in plain words ("owner_id is required: a string"), never the validator's own wording
// ("Invalid input: expected string, received undefined"). Messages a schema wrote itself are kept.
import type { z } from "zod";

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

export interface PlainFieldError {
  path: string;
  message: string;
}

/** The path as clients name fields: `events.3.owner_id`; the body itself is "(root)". */
export function fieldPath(path: Path): string {
  return path.map(String).join(".") || "(root)";
}

const fieldName = (path: Path) => (path.length === 0 ? "the body" : fieldPath(path));

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  bigint: "a whole number",
  boolean: "true or false",
  object: "a JSON object",
  array: "a JSON array",
  record: "a JSON object",
  map: "a JSON object",
  null: "null",
  date: "a date",
  nan: "a number",
};

const typeWords = (type: string | undefined) => (type ? (TYPE_WORDS[type] ?? `a ${type}`) : "a value");

/** What zod saw, recovered from its message ("…, received undefined"): issues do not carry the input. */
function receivedOf(issue: Issue): string | undefined {
  const received = (issue as { received?: unknown }).received;
  if (typeof received === "string") return received;
  return /received (\w+)/.exec(issue.message)?.[1];
}

const quoteAll = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join(", ");

const FORMAT_WORDS: Record<string, string> = {
  url: "an absolute http(s) URL, like https://example.com/hook",
  datetime: "an RFC 3339 time, like 2026-11-29T21:00:00.000Z",
  date: "a date, like 2026-11-29",
  email: "an email address, like ops@example.com",
  uuid: "a UUID",
  base64: "base64 text",
};

/** Messages zod writes by default; anything else on an issue was written by our schemas and is kept. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized key|Expected|Required$)/;

function sizeWords(issue: Extract<Issue, { code: "too_small" | "too_big" }>): string {
  const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
  const least = issue.code === "too_small";
  const n = Number(bound);
  switch (issue.origin) {
    case "string":
      return `must be ${least ? "at least" : "at most"} ${n} character${n === 1 ? "" : "s"} long`;
    case "array":
    case "set":
      return `must have ${least ? "at least" : "at most"} ${n} item${n === 1 ? "" : "s"}`;
    default:
      if (issue.inclusive === false) return `must be ${least ? "greater" : "less"} than ${n}`;
      return `must be ${least ? "at least" : "at most"} ${n}`;
  }
}

/** Marks a predicate that is already a whole message naming its field (see ownWords). */
const FIELD_NAMED = "\u0000";

/**
 * A message a schema wrote: a full predicate ("must be …", "is …") reads after the field name as it is;
 * a bare description ("letters, digits and . _ - : @ only") gets `lead` in front.
 */
function ownWords(message: string, lead: "must be" | ":"): string {
  if (/^(is|must|has|should) /.test(message)) return message;
  // Already a sentence about a field ("since must be before until"): the schema named the field itself.
  if (/^[a-z_][a-z0-9_.]* (must|is|may|has) /.test(message)) return `${FIELD_NAMED}${message}`;
  return lead === ":" ? `: ${message}` : `must be ${message}`;
}

/** The predicate part of a message: what the field must be, without its name. */
function predicate(issue: Issue): string {
  switch (issue.code) {
    case "invalid_type": {
      const received = receivedOf(issue);
      const expected = typeWords(issue.expected);
      if (received === "undefined") return `is required: ${expected}`;
      if (issue.expected === "int" && received === "number") return "must be a whole number";
      if (received === "NaN") return `must be ${expected}`;
      return received ? `must be ${expected}, not ${typeWords(received)}` : `must be ${expected}`;
    }
    case "invalid_value":
      return issue.values.length === 1 ? `must be ${quoteAll(issue.values)}` : `must be one of ${quoteAll(issue.values)}`;
    case "invalid_format":
      if (!ZOD_DEFAULT.test(issue.message)) return ownWords(issue.message, "must be");
      if (FORMAT_WORDS[issue.format]) return `must be ${FORMAT_WORDS[issue.format]}`;
      if (issue.format === "regex") return `is not in the accepted form (${issue.pattern ?? "see /docs"})`;
      if (issue.format === "starts_with" || issue.format === "ends_with" || issue.format === "includes") {
        return `is not in the accepted form`;
      }
      return `must be a valid ${issue.format}`;
    case "too_small":
    case "too_big":
      return sizeWords(issue);
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}`;
    case "invalid_union": {
      const options = (issue as { options?: unknown[] }).options;
      if (options?.length) return `must be one of ${quoteAll(options)}`;
      // A union of plain types ("a string or a number"): name them when every branch failed on the type.
      const firsts = issue.errors.map((branch) => branch[0]);
      if (firsts.length > 0 && firsts.every((i) => i?.code === "invalid_type" && i.path.length === 0)) {
        const types = firsts.map((i) => typeWords((i as { expected: string }).expected));
        return `must be ${types.slice(0, -1).join(", ")} or ${types.at(-1)}`;
      }
      return "does not match any of the accepted forms (see /docs)";
    }
    case "invalid_key":
      return "has a key that is not allowed";
    case "invalid_element":
      return "has a value that is not allowed";
    case "unrecognized_keys":
      return "is not a field this request accepts";
    case "custom":
    default:
      return ZOD_DEFAULT.test(issue.message) ? "is not valid" : ownWords(issue.message, ":");
  }
}

/** One issue → one or more field errors (an unknown-keys issue names each unknown key as its own field). */
export function plainIssues(issue: Issue, prefix: Path = []): PlainFieldError[] {
  const base = [...prefix, ...issue.path];
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const path = [...base, key];
      return { path: fieldPath(path), message: `${fieldName(path)} is not a field this request accepts (check the spelling)` };
    });
  }
  const what = predicate(issue);
  if (what.startsWith(FIELD_NAMED)) return [{ path: fieldPath(base), message: what.slice(FIELD_NAMED.length) }];
  // Custom messages from refinements start with ": " and read after the field name ("owner_id: letters, …").
  const message = what.startsWith(": ") ? `${fieldName(base)}${what}` : `${fieldName(base)} ${what}`;
  return [{ path: fieldPath(base), message }];
}

export function plainFieldErrors(error: { issues: readonly Issue[] }, prefix: Path = []): PlainFieldError[] {
  return error.issues.flatMap((issue) => plainIssues(issue, prefix));
}

/** A problem's `detail` for field errors: the first message in full, so one line says what to fix. */
export function validationDetail(errors: readonly PlainFieldError[]): string {
  if (errors.length === 0) return "The request does not match the schema.";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? "s" : ""}: see errors)` : "";
  return `${errors[0]!.message}${more}.`;
}
