// The shape of a subscription filter (API.md "Subscription filters"): which keys, operators and operands are
// allowed, and the size and depth bounds. Pure; returns every problem with the path it sits at.

export const MAX_FILTER_BYTES = 4096;
export const MAX_FILTER_DEPTH = 8;

export const COMBINATORS = ["$and", "$or", "$not"] as const;
export const VALUE_OPERATORS = [
  "$eq",
  "$ne",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$in",
  "$nin",
  "$exists",
  "$startsWith",
  "$endsWith",
  "$contains",
] as const;
export type ValueOperator = (typeof VALUE_OPERATORS)[number];

/** Roots a path may start from: the event as a filter sees it. */
export const FILTER_ROOTS = ["payload", "event_type", "owner_id"] as const;

export interface FilterIssue {
  path: (string | number)[];
  message: string;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An operator object: a non-empty object whose keys all start with `$` (mixing with plain keys is refused). */
export function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.some((k) => k.startsWith("$"));
}

/** Nesting levels of arrays/objects (a scalar is 0), iteratively so a hostile body cannot overflow the stack. */
function nestingDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    max = Math.max(max, depth + 1);
    if (max > MAX_FILTER_DEPTH) return max;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return max;
}

function checkPath(key: string): string | undefined {
  const segments = key.split(".");
  if (!(FILTER_ROOTS as readonly string[]).includes(segments[0]!)) {
    return `a path must start with ${FILTER_ROOTS.join(", ")} (or be $and, $or, $not)`;
  }
  if (segments[0] !== "payload" && segments.length > 1) return `${segments[0]} is a string: nothing lies below it`;
  if (segments.some((s) => s === "")) return "a path has no empty segments";
  return undefined;
}

const isJsonScalarOrderable = (v: unknown) => typeof v === "number" || typeof v === "string";

function checkOperand(op: ValueOperator, operand: unknown): string | undefined {
  switch (op) {
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      return isJsonScalarOrderable(operand) ? undefined : `${op} takes a number or a string`;
    case "$in":
    case "$nin":
      if (!Array.isArray(operand)) return `${op} takes an array`;
      return operand.some(isOperatorObject) ? `${op} takes values, not operators` : undefined;
    case "$exists":
      return typeof operand === "boolean" ? undefined : "$exists takes true or false";
    case "$startsWith":
    case "$endsWith":
      return typeof operand === "string" ? undefined : `${op} takes a string`;
    case "$eq":
    case "$ne":
    case "$contains":
      return isOperatorObject(operand) ? `${op} takes a value, not operators` : undefined;
  }
}

function checkOperators(ops: Record<string, unknown>, path: (string | number)[], issues: FilterIssue[]): void {
  for (const [op, operand] of Object.entries(ops)) {
    if (!(VALUE_OPERATORS as readonly string[]).includes(op)) {
      issues.push({
        path: [...path, op],
        message: op.startsWith("$") ? `unknown operator (allowed: ${VALUE_OPERATORS.join(" ")})` : "an operator object holds only operators",
      });
      continue;
    }
    const problem = checkOperand(op as ValueOperator, operand);
    if (problem) issues.push({ path: [...path, op], message: problem });
  }
}

function checkNode(node: unknown, path: (string | number)[], issues: FilterIssue[]): void {
  if (!isPlainObject(node)) {
    issues.push({ path, message: "a filter is an object of paths and combinators" });
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    const at = [...path, key];
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(value) || value.length === 0) issues.push({ path: at, message: `${key} takes a non-empty array of filters` });
      else value.forEach((child, i) => checkNode(child, [...at, i], issues));
    } else if (key === "$not") {
      checkNode(value, at, issues);
    } else if (key.startsWith("$")) {
      issues.push({ path: at, message: "unknown combinator (allowed: $and $or $not)" });
    } else {
      const problem = checkPath(key);
      if (problem) issues.push({ path: at, message: problem });
      else if (isOperatorObject(value)) checkOperators(value, at, issues);
    }
  }
}

/** Every problem with `filter` (empty when it is valid). `null` means "no filter" and is valid. */
export function filterIssues(filter: unknown): FilterIssue[] {
  if (filter === null) return [];
  // Bounds first: they keep the walk below cheap, and a hostile filter is refused before it is read.
  if (nestingDepth(filter) > MAX_FILTER_DEPTH) return [{ path: [], message: `at most ${MAX_FILTER_DEPTH} levels of nesting` }];
  const bytes = new TextEncoder().encode(JSON.stringify(filter)).length;
  if (bytes > MAX_FILTER_BYTES) return [{ path: [], message: `at most ${MAX_FILTER_BYTES} bytes as JSON (this one is ${bytes})` }];
  const issues: FilterIssue[] = [];
  checkNode(filter, [], issues);
  return issues;
}
