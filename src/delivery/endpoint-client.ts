// How the rest of the Worker reaches an endpoint's Durable Object (one object per endpoint, named by its id).
import type { Env } from "../env";
import type { DeliveryWork } from "./contracts";

export function endpointStub(env: Env, endpointId: string) {
  return env.ENDPOINT_DO.get(env.ENDPOINT_DO.idFromName(endpointId));
}

/**
 * Tells the endpoint's object that its configuration changed in D1 (URL, secret, auth, timeout, rate limit,
 * retry policy, status), so the next delivery uses the new settings without losing queued work.
 */
export async function notifyEndpointChanged(env: Env, endpointId: string): Promise<void> {
  await endpointStub(env, endpointId).configChanged();
}

/**
 * Closes the `hookrelay listen` sockets of a deleted relay endpoint (their reconnects then get 404), or only
 * those opened with a revoked API key (their reconnects then get 401).
 */
export async function closeRelayListeners(env: Env, endpointId: string, revokedKeyId?: string): Promise<number> {
  return endpointStub(env, endpointId).closeListeners(revokedKeyId);
}

/** How many listeners a relay endpoint has now; undefined when its object does not answer within 2 s. */
export async function readRelayListeners(env: Env, endpointId: string): Promise<number | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), 2_000);
    });
    return await Promise.race([endpointStub(env, endpointId).relayListeners(), timeout]);
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", msg: "EndpointDO relayListeners failed", endpoint_id: endpointId, error: String(err) }));
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Keeps each enqueue RPC well under the 32 MiB RPC message limit even with 256 KB payloads. */
const ENQUEUE_RPC_BYTES = 8 * 1024 * 1024;

/** Enqueues work for one endpoint in as few RPCs as the payload sizes allow (enqueue is idempotent). */
export async function enqueueWork(env: Env, endpointId: string, work: DeliveryWork[]): Promise<void> {
  const stub = endpointStub(env, endpointId);
  let chunk: DeliveryWork[] = [];
  let bytes = 0;
  for (const w of work) {
    const size = w.payload.length * 2 + 512;
    if (chunk.length > 0 && bytes + size > ENQUEUE_RPC_BYTES) {
      await stub.enqueue(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(w);
    bytes += size;
  }
  if (chunk.length > 0) await stub.enqueue(chunk);
}
