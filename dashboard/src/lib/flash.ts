// One-time values handed from one page to the next (a new endpoint's secret), then forgotten.
// Kept in memory only: a reload loses them, as a secret shown once should be.
const pending = new Map<string, string>();

export function putFlash(key: string, value: string): void {
  pending.set(key, value);
}

export function takeFlash(key: string): string | undefined {
  const value = pending.get(key);
  pending.delete(key);
  return value;
}
