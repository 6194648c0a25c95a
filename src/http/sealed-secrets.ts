// Encrypts and decrypts secrets at rest for API handlers with the deployment's ENCRYPTION_KEY, turning a
// missing key into a clear 503 instead of an anonymous 500.
import { currentEncryptionKey, decryptSecret, encryptSecret, MissingEncryptionKeyError } from "../domain/crypto";
import type { Env } from "../env";
import { AppError } from "./errors";

function explainMissingKey(err: unknown): never {
  if (err instanceof MissingEncryptionKeyError) {
    throw new AppError("unavailable", "ENCRYPTION_KEY is not configured, so secrets cannot be stored or read (wrangler secret put ENCRYPTION_KEY).");
  }
  throw err;
}

/** Encrypts with the current (first) ENCRYPTION_KEY. */
export async function sealSecret(env: Pick<Env, "ENCRYPTION_KEY">, plaintext: string): Promise<string> {
  return encryptSecret(plaintext, currentEncryptionKey(env.ENCRYPTION_KEY)).catch(explainMissingKey);
}

/** Decrypts with whichever configured key wrote the value (older keys stay listed after a key rotation). */
export async function openSecret(env: Pick<Env, "ENCRYPTION_KEY">, stored: string): Promise<string> {
  return decryptSecret(stored, env.ENCRYPTION_KEY).catch(explainMissingKey);
}
