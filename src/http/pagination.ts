// Opaque cursors for newest-first lists. Ids are time-sortable, so a cursor is the last id returned.
import { AppError } from "./errors";

/** Our ids: 26 characters after the prefix, or 46 for a delivery id (it names its endpoint, domain/ids.ts). */
const ID_SHAPE = /^[a-z]{2,4}_(?:[0-9a-z]{26}|[0-9a-z]{46})$/;

export function encodeCursor(lastId: string): string {
  return btoa(JSON.stringify({ id: lastId })).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Decodes a cursor into the id to continue before; a malformed cursor is a 400 invalid_cursor. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  try {
    const parsed = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/"))) as { id?: unknown };
    if (typeof parsed.id === "string" && ID_SHAPE.test(parsed.id)) return parsed.id;
  } catch {
    // fall through
  }
  throw new AppError("invalid_cursor", "The cursor is malformed; use next_cursor from a previous page.");
}

/** Turns rows fetched with limit+1 into a page. */
export function page<Row extends { id: string }, Out>(
  rows: Row[],
  limit: number,
  present: (row: Row) => Out,
): { data: Out[]; next_cursor: string | null } {
  const hasMore = rows.length > limit;
  const slice = hasMore ? rows.slice(0, limit) : rows;
  return {
    data: slice.map(present),
    next_cursor: hasMore ? encodeCursor(slice[slice.length - 1]!.id) : null,
  };
}
