// D1 binds at most 100 parameters per query: id lists go into `IN (…)` in chunks that leave room for a few
// other parameters in the same statement.
export const IDS_PER_QUERY = 90;

/** Splits `ids` into consecutive chunks of at most IDS_PER_QUERY. */
export function idChunks<T>(ids: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) out.push(ids.slice(i, i + IDS_PER_QUERY));
  return out;
}
