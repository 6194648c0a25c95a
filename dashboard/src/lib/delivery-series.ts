// Turns a list of deliveries into the Overview chart's series: deliveries per minute and success rate
// over a window. Pure, so the arithmetic is checked without a browser.
import type { Delivery } from "../api/types";

export interface SeriesPoint {
  /** Start of the bucket, epoch ms. */
  at: number;
  total: number;
  succeeded: number;
  failed: number;
}

export interface DeliverySeries {
  perMinute: SeriesPoint[];
  /** Coarser buckets for the success-rate line: per-minute rates of 1–2 deliveries are mostly noise. */
  perHour: (SeriesPoint & { rate: number | null })[];
  total: number;
  succeeded: number;
  failed: number;
  /** succeeded / (succeeded + failed): only finished deliveries count. null when none finished. */
  successRate: number | null;
  peakPerMinute: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

function deliveryTime(d: Delivery): number | null {
  const t = d.created_at ? Date.parse(d.created_at) : NaN;
  return Number.isNaN(t) ? null : t;
}

function buckets(from: number, to: number, size: number): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (let at = from; at < to; at += size) out.push({ at, total: 0, succeeded: 0, failed: 0 });
  return out;
}

export function buildDeliverySeries(deliveries: Delivery[], now: number, windowMs = 24 * HOUR): DeliverySeries {
  const end = Math.ceil(now / MINUTE) * MINUTE;
  const start = end - windowMs;
  const perMinute = buckets(start, end, MINUTE);
  const hourly = buckets(start, end, HOUR);
  let succeeded = 0;
  let failed = 0;
  let total = 0;
  for (const d of deliveries) {
    const t = deliveryTime(d);
    if (t === null || t < start || t >= end) continue;
    total += 1;
    const minute = perMinute[Math.floor((t - start) / MINUTE)]!;
    const hour = hourly[Math.floor((t - start) / HOUR)]!;
    minute.total += 1;
    hour.total += 1;
    if (d.status === "succeeded") {
      succeeded += 1;
      minute.succeeded += 1;
      hour.succeeded += 1;
    } else if (d.status === "failed") {
      failed += 1;
      minute.failed += 1;
      hour.failed += 1;
    }
  }
  const finished = succeeded + failed;
  return {
    perMinute,
    perHour: hourly.map((h) => ({ ...h, rate: h.succeeded + h.failed > 0 ? h.succeeded / (h.succeeded + h.failed) : null })),
    total,
    succeeded,
    failed,
    successRate: finished > 0 ? succeeded / finished : null,
    peakPerMinute: perMinute.reduce((m, p) => Math.max(m, p.total), 0),
  };
}
