// Types for the part of cost.mjs the unit tests import.
export interface RowsByStore {
  written: Record<string, number>;
  read: Record<string, number>;
  breakdown: Record<string, number>;
  d1_rows_written: number;
  do_rows_written: number;
  d1_rows_read: number;
  do_rows_read: number;
  total_rows_written: number;
}
export function rowsByStore(deltas: Record<string, number> | null, deliveries: number): RowsByStore | null;
export function costPerDelivery(args: Record<string, unknown>): Record<string, unknown>;
export function readCounters(client: unknown): Promise<{ counters: Record<string, number> | null; reason?: string }>;
