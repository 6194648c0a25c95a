// Evaluates a subscription filter against an event. The operators' semantics (deep equality, ordering only
// between values of one type, membership) come from `sift`, restricted to the operators API.md lists, plus
// $startsWith/$endsWith/$contains registered through sift's `operations` extension point.
//
// Paths, combinators and missing values are resolved here rather than by sift's query walker, on purpose:
// the walker follows MongoDB, where `{"a": 1}` also matches `a: [1, 2]` (implicit array traversal) and
// `{"a": null}` matches a missing `a`. The contract says otherwise — different JSON types never compare
// equal, `items.0` indexes arrays explicitly, and a missing path satisfies only $exists:false, $ne and $nin —
// so each operator is applied by sift to the one value the path names.
import {
  $eq,
  $exists,
  $gt,
  $gte,
  $in,
  $lt,
  $lte,
  $ne,
  $nin,
  createEqualsOperation,
  createQueryOperation,
} from "sift";
import { isOperatorObject, isPlainObject, type ValueOperator } from "./filter-shape";

/** The event as a filter sees it. */
export interface FilterDocument {
  payload: unknown;
  event_type: string;
  owner_id: string;
}

export type FilterPredicate = (doc: FilterDocument) => boolean;

// sift's index does not re-export these types; derive them from its functions.
type Options = ReturnType<typeof createQueryOperation>["options"];
type Operation = ReturnType<Options["operations"][string]>;

const customOperations: Options["operations"] = {
  $startsWith: (params, owner, options) =>
    createEqualsOperation((v: unknown) => typeof v === "string" && v.startsWith(params as string), owner, options),
  $endsWith: (params, owner, options) =>
    createEqualsOperation((v: unknown) => typeof v === "string" && v.endsWith(params as string), owner, options),
  $contains: (params, owner, options) =>
    createEqualsOperation(
      (v: unknown) =>
        typeof v === "string"
          ? typeof params === "string" && v.includes(params)
          : Array.isArray(v) && v.some((element) => options.compare(params, element)),
      owner,
      options,
    ),
};

/** Only these operators exist for sift; anything else throws at compile time (and is refused by validation first). */
const operations: Options["operations"] = { $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, ...customOperations };

/**
 * The options every operation is built with: sift fills in its own deep equality (`compare`) when a query
 * operation is created without one, and exposes the completed options on the operation.
 */
const siftOptions: Options = createQueryOperation({}, null, { operations }).options;

const MISSING = Symbol("missing");

const INDEX = /^(0|[1-9]\d*)$/;

/** The value at a dotted path (split once, at compile time): own properties of objects, canonical integer indexes of arrays, else MISSING. */
function resolveSegments(doc: FilterDocument, segments: string[]): unknown {
  let current: unknown = doc;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!INDEX.test(segment)) return MISSING;
      const i = Number(segment);
      if (i >= current.length) return MISSING;
      current = current[i];
    } else if (isPlainObject(current) && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else {
      return MISSING;
    }
  }
  return current;
}

export function resolvePath(doc: FilterDocument, path: string): unknown {
  return resolveSegments(doc, path.split("."));
}

/** What a missing path satisfies, per the contract. */
const MISSING_SATISFIES: Partial<Record<ValueOperator, (operand: unknown) => boolean>> = {
  $exists: (operand) => operand === false,
  $ne: () => true,
  $nin: () => true,
};

interface CompiledOperator {
  name: ValueOperator;
  operand: unknown;
  operation: Operation;
}

function compileOperator(name: string, operand: unknown, ownerQuery: unknown): CompiledOperator {
  const create = siftOptions.operations[name];
  if (!create) throw new Error(`Unsupported operation: ${name}`);
  return { name: name as ValueOperator, operand, operation: create(operand, ownerQuery, siftOptions, name) };
}

/** Runs one sift operation on one value, bypassing the walker (see the module comment). */
function holds(op: CompiledOperator, value: unknown): boolean {
  op.operation.reset();
  // Called as sift calls a leaf: the value, its key, and an object owner (so no array-element special case).
  op.operation.next(value, "value", { value }, false, true);
  return op.operation.keep;
}

function compilePath(path: string, condition: unknown): FilterPredicate {
  const ops = isOperatorObject(condition)
    ? Object.entries(condition).map(([name, operand]) => compileOperator(name, operand, condition))
    : [compileOperator("$eq", condition, { $eq: condition })];
  const segments = path.split(".");
  return (doc) => {
    const value = resolveSegments(doc, segments);
    if (value === MISSING) return ops.every((op) => MISSING_SATISFIES[op.name]?.(op.operand) ?? false);
    return ops.every((op) => holds(op, value));
  };
}

function compileNode(node: unknown): FilterPredicate {
  if (!isPlainObject(node)) throw new Error("a filter is an object");
  const parts: FilterPredicate[] = Object.entries(node).map(([key, value]) => {
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(value) || value.length === 0) throw new Error(`${key} takes a non-empty array`);
      const children = value.map(compileNode);
      return key === "$and" ? (doc) => children.every((c) => c(doc)) : (doc) => children.some((c) => c(doc));
    }
    if (key === "$not") {
      const child = compileNode(value);
      return (doc) => !child(doc);
    }
    if (key.startsWith("$")) throw new Error(`Unsupported combinator: ${key}`);
    return compilePath(key, value);
  });
  return (doc) => parts.every((p) => p(doc));
}

/**
 * A predicate for a filter already validated by `filterIssues`. Throws if the filter is malformed anyway.
 * Evaluation never throws: an operator that fails on an odd value counts as "no match".
 */
export function compileFilter(filter: Record<string, unknown>): FilterPredicate {
  const predicate = compileNode(filter);
  return (doc) => {
    try {
      return predicate(doc);
    } catch {
      return false;
    }
  };
}

/** A predicate for a filter that may be malformed (e.g. read back from storage): malformed matches nothing. */
export function compileFilterOrNever(filter: unknown): FilterPredicate {
  try {
    return compileFilter(filter as Record<string, unknown>);
  } catch {
    return () => false;
  }
}

/** Whether `doc` satisfies `filter`; `null` (no filter) always does. */
export function filterMatches(filter: Record<string, unknown> | null, doc: FilterDocument): boolean {
  return filter === null || compileFilter(filter)(doc);
}
