// Hashing, random tokens, constant-time comparison and AES-GCM encryption of secrets at rest (WebCrypto only).

const encoder = new TextEncoder();

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function base64ToBytes(value: string): Uint8Array {
  const binary = atob(value);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function base64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function randomToken(prefix: string, bytes = 24): string {
  return `${prefix}${base64Url(crypto.getRandomValues(new Uint8Array(bytes)))}`;
}

export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Digests of long-lived secrets (the admin key): hashed once per isolate, not on every request. */
const secretDigests = new Map<string, Promise<ArrayBuffer>>();

function secretDigest(secret: string): Promise<ArrayBuffer> {
  let digest = secretDigests.get(secret);
  if (!digest) {
    if (secretDigests.size >= 16) secretDigests.clear(); // bounded: a handful of configured secrets
    digest = crypto.subtle.digest("SHA-256", encoder.encode(secret));
    secretDigests.set(secret, digest);
  }
  return digest;
}

/**
 * Compares two strings in time independent of where they differ. Where the runtime has no timingSafeEqual
 * (Node, in unit tests), both are hashed first to equalise lengths; `b` is the configured secret side and its
 * digest is kept for the isolate's life.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: (x: ArrayBufferView | ArrayBuffer, y: ArrayBufferView | ArrayBuffer) => boolean };
  if (typeof subtle.timingSafeEqual === "function") {
    // The Workers runtime's compare, as Cloudflare documents it: lengths first (a key's length is not what keeps
    // it secret), then constant time over the bytes. No digest per request: this runs on every API call.
    const x = encoder.encode(a);
    const y = encoder.encode(b);
    return x.byteLength === y.byteLength && subtle.timingSafeEqual(x, y);
  }
  const [ha, hb] = await Promise.all([crypto.subtle.digest("SHA-256", encoder.encode(a)), secretDigest(b)]);
  const x = new Uint8Array(ha);
  const y = new Uint8Array(hb);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

// --- Secrets at rest -------------------------------------------------------------------------------
// Stored form: "enc:v1:<key id>:<base64 iv>:<base64 ciphertext>". The key id is the first 8 hex chars of
// SHA-256(key) so a rotated ENCRYPTION_KEY can be told apart from the old one.

const keyCache = new Map<string, Promise<{ id: string; key: CryptoKey }>>();

function importKey(secret: string): Promise<{ id: string; key: CryptoKey }> {
  let entry = keyCache.get(secret);
  if (!entry) {
    entry = (async () => {
      const material = await crypto.subtle.digest("SHA-256", encoder.encode(secret));
      const id = (await sha256Hex(secret)).slice(0, 8);
      const key = await crypto.subtle.importKey("raw", material, "AES-GCM", false, ["encrypt", "decrypt"]);
      return { id, key };
    })();
    keyCache.set(secret, entry);
  }
  return entry;
}

export class MissingEncryptionKeyError extends Error {
  constructor() {
    super("ENCRYPTION_KEY is not set: secrets cannot be stored or read.");
  }
}

export async function encryptSecret(plaintext: string, encryptionKey: string | undefined): Promise<string> {
  if (!encryptionKey) throw new MissingEncryptionKeyError();
  const { id, key } = await importKey(encryptionKey);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, encoder.encode(plaintext)));
  return `enc:v1:${id}:${bytesToBase64(iv)}:${bytesToBase64(ciphertext)}`;
}

/**
 * Decrypts a stored value. `keys` is the current key first, then older ones (comma-separated in
 * ENCRYPTION_KEY) so that values written under a previous key stay readable after rotation.
 */
export async function decryptSecret(stored: string, encryptionKey: string | undefined): Promise<string> {
  if (!stored.startsWith("enc:v1:")) throw new Error("Stored secret has an unknown format.");
  if (!encryptionKey) throw new MissingEncryptionKeyError();
  const [, , keyId, ivB64, dataB64] = stored.split(":");
  for (const candidate of encryptionKey.split(",").map((k) => k.trim()).filter(Boolean)) {
    const { id, key } = await importKey(candidate);
    if (id !== keyId) continue;
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: base64ToBytes(ivB64!) }, key, base64ToBytes(dataB64!));
    return new TextDecoder().decode(plain);
  }
  throw new Error(`No ENCRYPTION_KEY matches key id ${keyId}.`);
}

/** The key new values are encrypted with: the first of a comma-separated ENCRYPTION_KEY list. */
export function currentEncryptionKey(encryptionKey: string | undefined): string | undefined {
  return encryptionKey?.split(",")[0]?.trim() || undefined;
}
