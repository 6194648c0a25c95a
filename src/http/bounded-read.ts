// Reads an outbound response body with a hard bound: at most `limit` bytes are kept, reading stops soon
// after, and the rest of the stream is cancelled (which closes the connection). Every response HookRelay
// reads from a server it does not run (endpoints, Slack, SES, SNS certificates and SubscribeURLs) goes
// through here, so no answer can make an isolate (128 MB on Workers) buffer more than its caller chose.

export interface BoundedReadOptions {
  /** Bytes kept. */
  limit: number;
  /**
   * Keep reading (and discarding) until this many bytes have arrived, so that "the whole body arrived" can
   * still be observed for bodies somewhat longer than what is kept. Defaults to `limit`: stop at once.
   */
  drainLimit?: number;
  /** Aborting it cancels the read; the read then throws the signal's reason. */
  signal?: AbortSignal;
}

export interface BoundedBody {
  /** The first `limit` bytes (fewer if the body was shorter). */
  bytes: Uint8Array;
  /** True when the body had more than `limit` bytes, or was cut off before its end. */
  truncated: boolean;
}

/** Reads at most `limit` bytes of `res`'s body (an absent body is empty). */
export async function readBounded(res: Response, opts: BoundedReadOptions): Promise<BoundedBody> {
  const { limit, signal } = opts;
  const drainLimit = Math.max(opts.drainLimit ?? limit, limit);
  if (!res.body) return { bytes: new Uint8Array(0), truncated: false };
  signal?.throwIfAborted();
  if (declaredFits(res, limit)) {
    // One read instead of a read per chunk plus one for the end: each read is a turn of the event loop,
    // slow when the loop is busy. The runtime refuses a body longer than its declared length.
    return { bytes: new Uint8Array(await res.arrayBuffer()), truncated: false };
  }
  const chunks = chunkReader(res.body, limit);
  const cancel = () => void chunks.reader.cancel().catch(() => {});
  signal?.addEventListener("abort", cancel, { once: true });
  const kept = new Prefix(limit);
  let total = 0;
  let ended = false;
  try {
    // Bounded: each turn adds a non-empty chunk to `total` or ends; it stops past max(limit + 1, drainLimit).
    for (;;) {
      const { done, value, last } = await chunks.next();
      if (value && value.byteLength > 0) {
        kept.add(value);
        total += value.byteLength;
      }
      if (done || last) {
        ended = true;
        break;
      }
      if (total > limit && total >= drainLimit) break;
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
    // Releases the connection when the body was cut off or the signal fired. A body read to its end has
    // released it already: no cancel (a promise per attempt, on the delivery hot path).
    if (!ended) cancel();
  }
  // A cancel from the signal ends the read as if the body had ended: that is a failure, not a short body.
  signal?.throwIfAborted();
  return { bytes: kept.bytes(), truncated: !ended || total > limit };
}

/** The first `limit` bytes of a body's chunks: a body that came in one chunk is returned as it is, not copied. */
class Prefix {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Uint8Array): void {
    if (this.length >= this.limit) return;
    const take = Math.min(chunk.byteLength, this.limit - this.length);
    this.parts.push(chunk.subarray(0, take));
    this.length += take;
  }

  bytes(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0]!;
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }
}

type AtLeastReader = ReadableStreamBYOBReader & {
  readAtLeast(min: number, view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>>;
};

/** Past the first read, bytes are only drained: this much per read. */
const DRAIN_CHUNK = 64 * 1024;

/**
 * The body's chunks. In workerd a BYOB reader can wait for a number of bytes in one read (readAtLeast), so the
 * first read asks for limit + 1: a body within the limit — most answers, declared or chunked — then takes a
 * single read, and a short result can only mean the body ended (`last`). Elsewhere (Node): plain reads.
 */
function chunkReader(body: ReadableStream<Uint8Array>, limit: number) {
  let byob: AtLeastReader | null = null;
  try {
    const reader = body.getReader({ mode: "byob" }) as AtLeastReader;
    if (typeof reader.readAtLeast === "function") byob = reader;
    else reader.releaseLock();
  } catch {
    // not a byte stream: plain reads
  }
  if (byob === null) {
    const reader = body.getReader();
    return { reader, next: async () => ({ ...(await reader.read()), last: false }) };
  }
  const reader = byob;
  let first = true;
  return {
    reader,
    async next() {
      const [min, size] = first ? [limit + 1, limit + 1] : [1, DRAIN_CHUNK];
      first = false;
      const result = await reader.readAtLeast(min, new Uint8Array(size));
      return { ...result, last: !result.done && (result.value?.byteLength ?? 0) < min };
    },
  };
}

/** readBounded, decoded as UTF-8 (a character cut at the bound becomes U+FFFD). */
export async function readBoundedText(res: Response, opts: BoundedReadOptions): Promise<{ text: string; truncated: boolean }> {
  const { bytes, truncated } = await readBounded(res, opts);
  return { text: new TextDecoder().decode(bytes), truncated };
}

/** Whether the body is known to fit: its length is declared, within the limit, and is its real size (not compressed). */
function declaredFits(res: Response, limit: number): boolean {
  const declared = res.headers.get("content-length");
  const encoding = res.headers.get("content-encoding");
  return declared !== null && /^\d+$/.test(declared) && Number(declared) <= limit && (encoding === null || encoding === "identity");
}
