// instrumentSql(sql, store): rows count toward the DO SQLite totals and, per store, as `<total>:<store>`
// breakdowns that the bench reports without adding them in twice (bench/lib/cost.mjs rowsByStore).
import { beforeEach, describe, expect, it } from "vitest";
import { instrumentSql, resetCounters, snapshot } from "../../src/observability/counters";
import { rowsByStore } from "../../bench/lib/cost.mjs";

/** A stand-in for ctx.storage.sql: each exec() reports the rows the test says it read and wrote. */
function fakeSql(rows: { read: number; written: number }) {
  return {
    exec: () => ({ rowsRead: rows.read, rowsWritten: rows.written, toArray: () => [] }),
  } as unknown as SqlStorage;
}

describe("per-store SQLite row counters", () => {
  beforeEach(() => resetCounters());

  it("counts the totals and a breakdown per named store", () => {
    instrumentSql(fakeSql({ read: 2, written: 3 }), "EventLog").exec("INSERT …");
    instrumentSql(fakeSql({ read: 1, written: 4 }), "DeliveryLog").exec("INSERT …");
    instrumentSql(fakeSql({ read: 5, written: 1 })).exec("UPDATE …");
    const c = snapshot().counters as Record<string, number>;
    expect(c.do_sql_rows_written).toBe(8);
    expect(c.do_sql_rows_read).toBe(8);
    expect(c["do_sql_rows_written:EventLog"]).toBe(3);
    expect(c["do_sql_rows_written:DeliveryLog"]).toBe(4);
    expect(c["do_sql_rows_read:EventLog"]).toBe(2);
  });

  it("lets the bench sum stores generically without counting a breakdown twice", () => {
    instrumentSql(fakeSql({ read: 0, written: 6 }), "EventLog").exec("INSERT …");
    const counters = { ...(snapshot().counters as Record<string, number>), d1_rows_written: 2 };
    const stores = rowsByStore(counters, 2);
    expect(stores?.do_rows_written).toBe(3); // 6 rows over 2 deliveries, the breakdown not added again
    expect(stores?.d1_rows_written).toBe(1);
    expect(stores?.total_rows_written).toBe(4);
    expect(stores?.breakdown["do_sql_rows_written:EventLog"]).toBe(3);
  });

  it("forgets breakdowns on reset", () => {
    instrumentSql(fakeSql({ read: 1, written: 1 }), "EventLog").exec("INSERT …");
    resetCounters();
    expect(Object.keys(snapshot().counters).some((k) => k.includes(":"))).toBe(false);
  });
});
