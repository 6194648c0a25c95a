// How accept() reaches the IdempotencyDO: one object per (owner, key), and the validation of the key itself.
import type { Env } from "../env";
import { AppError } from "../http/errors";

const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

export function assertValidIdempotencyKey(key: string): void {
  if (!KEY_SHAPE.test(key)) {
    throw new AppError("validation_failed", "The Idempotency-Key header is invalid.", [
      { path: "headers.idempotency-key", message: "1-255 visible ASCII characters" },
    ]);
  }
}

/**
 * The object for a key. The scope is the owner the events are for (several owners, sorted, for an admin
 * batch spanning owners), so two owners using the same key never share ids.
 */
export function idempotencyStub(env: Env, ownerIds: string[], key: string) {
  const scope = [...new Set(ownerIds)].sort();
  return env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(JSON.stringify([scope, key])));
}
