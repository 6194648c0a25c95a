// One bounded polling loop for every test helper, in workerd (integration) and in Node (e2e): no Node APIs.

/** Polls `check` until it returns a truthy value; throws after `timeoutMs` with the last error seen. */
export async function pollUntil<T>(check: () => Promise<T | undefined | null | false>, timeoutMs: number, intervalMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
}
