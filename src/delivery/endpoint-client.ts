// How the rest of the Worker reaches an endpoint's Durable Object (one object per endpoint, named by its id).
import type { Env } from "../env";

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
