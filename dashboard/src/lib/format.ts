// Display formatting for times, durations and rates. Input is what the API sends (RFC 3339, ms, 0..1).

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "—";
  const diff = new Date(iso).getTime() - now;
  if (Number.isNaN(diff)) return iso;
  const abs = Math.abs(diff);
  const unit: [Intl.RelativeTimeFormatUnit, number] =
    abs < 60_000 ? ["second", 1000] : abs < 3_600_000 ? ["minute", 60_000] : abs < 86_400_000 ? ["hour", 3_600_000] : ["day", 86_400_000];
  return new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }).format(Math.round(diff / unit[1]), unit[0]);
}

/** A duration in ms in the unit a person reads it in: 850 ms, 1.25 s, 3 min, 10 h. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return formatSeconds(ms / 1000);
}

/** A duration in seconds (the API's unit for delays) in human units: 5 s, 3 min, 1.8 h, 10 h, 2 d. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "—";
  if (s < 60) return `${+s.toFixed(1)} s`;
  if (s < 3600) return `${+(s / 60).toFixed(1)} min`;
  if (s < 48 * 3600) return `${+(s / 3600).toFixed(1)} h`;
  return `${+(s / 86_400).toFixed(1)} d`;
}

/** A rate in 0..1 (or a percentage 0..100 from an API that sends one) as "97.5 %". */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return "—";
  const pct = rate <= 1 ? rate * 100 : rate;
  return `${pct.toFixed(pct === 100 || pct === 0 ? 0 : 1)} %`;
}

export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** datetime-local input value (local time) → RFC 3339 UTC for the API; "" stays undefined. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** "1 attempt", "3 attempts". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Where an endpoint delivers: its URL, or for a relay endpoint (no URL) the listener it waits for. */
export function endpointTarget(e: { url: string | null; kind?: string }): string {
  return e.kind === "relay" || e.url === null ? "relay · hookrelay listen" : e.url;
}
