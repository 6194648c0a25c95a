// A colored pill for any status word the API uses (delivery, endpoint, source, job, notification).
const TONES: Record<string, string> = {
  succeeded: "good",
  active: "good",
  confirmed: "good",
  completed: "good",
  sent: "good",
  failed: "bad",
  disabled: "bad",
  unsubscribed: "bad",
  retrying: "warn",
  held: "warn",
  pending: "neutral",
  pending_confirmation: "warn",
  running: "neutral",
  dead: "bad",
  redriven: "neutral",
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${TONES[status] ?? "neutral"}`}>{status.replaceAll("_", " ")}</span>;
}

/** An HTTP status code colored by class; null means no response arrived. */
export function HttpStatus({ code }: { code: number | null | undefined }) {
  if (code === null || code === undefined) return <span className="badge badge-bad">no response</span>;
  const tone = code >= 200 && code < 300 ? "good" : code >= 500 || code === 410 ? "bad" : "warn";
  return <span className={`badge badge-${tone}`}>HTTP {code}</span>;
}
