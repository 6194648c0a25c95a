// Shared fast-check arbitraries for the hardening suites: hostile JSON values, raw bodies (broken JSON,
// invalid UTF-8, deep nesting, oversize), header junk, and the seed/run-count settings every property uses.
import fc from "fast-check";

/** Seed and run count: fixed defaults so CI is reproducible; HOOKRELAY_FUZZ_SEED / _RUNS replay or widen a run. */
export function fuzzSettings(raw: { seed?: string; runs?: string }, defaultRuns: number) {
  const seed = raw.seed && /^-?\d+$/.test(raw.seed) ? Number(raw.seed) : 20261129;
  const numRuns = raw.runs && /^\d+$/.test(raw.runs) ? Number(raw.runs) : defaultRuns;
  return { seed, numRuns };
}

/** Wraps fc.assert so a failure names the seed (and path) to replay it with HOOKRELAY_FUZZ_SEED. */
export async function assertProperty<Ts extends [unknown, ...unknown[]]>(
  name: string,
  property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>,
  settings: { seed: number; numRuns: number },
): Promise<void> {
  try {
    await fc.assert(property as fc.IAsyncProperty<Ts>, { ...settings, endOnFailure: true });
  } catch (err) {
    const cause = err instanceof Error && err.cause !== undefined ? `\ncause: ${err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : String(err.cause)}` : "";
    const msg = (err instanceof Error ? err.message : String(err)) + cause;
    throw new Error(`[${name}] property failed; replay with HOOKRELAY_FUZZ_SEED=${settings.seed} (numRuns ${settings.numRuns})\n${msg}`);
  }
}

/** Strings that have bitten JSON APIs: prototype keys, control and bidi characters, lone surrogates, SQL/HTML. */
export const nastyString = fc.constantFrom(
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\r\n",
  "x\r\nX-Injected: 1",
  "\t",
  "\uFEFF",
  "\u202Eevil",
  "\u200B",
  "e\u0301",
  "\uD800",
  "\uDFFF",
  "\uD83D\uDE00",
  "𝕏𝕐ℤ",
  "ﷺ",
  "' OR 1=1 --",
  "<script>alert(1)</script>",
  "../../etc/passwd",
  "%00",
  "%0d%0a",
  "null",
  "NaN",
  "-0",
  "1e309",
  "ep_00000000000000000000000000",
  "evt_zzzzzzzzzzzzzzzzzzzzzzzzzz",
);

export const oddString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 3, arbitrary: nastyString },
  // Long strings: over every field's max length, under the management body limit.
  { weight: 1, arbitrary: fc.integer({ min: 201, max: 20_000 }).map((n) => "y".repeat(n)) },
);

export const oddNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1.5, 2 ** 53, -(2 ** 53), 1e308, -1e-308, Number.MAX_SAFE_INTEGER + 2),
);

/** Any JSON value, with hostile strings and keys mixed in. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    oddNumber,
    oddString,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(oddString, nastyString), tie("value"), { maxKeys: 5 }),
  ),
})).value;

/** Deeply nested arrays/objects as raw JSON text (built as text: JSON.stringify itself would recurse). */
export const deepJsonText = fc
  .record({ depth: fc.integer({ min: 100, max: 30_000 }), kind: fc.constantFrom("array", "object", "mixed") })
  .map(({ depth, kind }) => {
    if (kind === "array") return "[".repeat(depth) + "]".repeat(depth);
    if (kind === "object") return '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
    return '{"a":['.repeat(depth) + "]}".repeat(depth);
  });

/** Raw body bytes that are not a JSON document, or not valid UTF-8. */
export const rawBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  // Valid JSON wrapped around invalid UTF-8 sequences (lone continuation bytes, overlongs, surrogates, 0xFF).
  fc
    .record({
      bad: fc.constantFrom([0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]),
      where: fc.constantFrom("key", "value"),
    })
    .map(({ bad, where }) => {
      const enc = new TextEncoder();
      const parts = where === "key" ? ['{"', '":1}'] : ['{"name":"', '","owner_id":"acme"}'];
      return new Uint8Array([...enc.encode(parts[0]!), ...bad, ...enc.encode(parts[1]!)]);
    }),
  fc
    .constantFrom("", "{", "}", "[", "{\"a\":}", "{'a':1}", "{\"a\":1,}", "NaN", "undefined", "{\"a\" 1}", "\uFEFF{}", "{}garbage", "1 2", "\"", "{\"a\":\"\\u12\"}")
    .map((s) => new TextEncoder().encode(s)),
  deepJsonText.map((s) => new TextEncoder().encode(s)),
);

export const contentType = fc.constantFrom<string | undefined>(
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/json;charset=UTF-16",
  "text/plain",
  "text/plain;charset=UTF-8",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/problem+json",
  "application/octet-stream",
  "*/*",
  "json",
  "",
  undefined,
);

/** Header values a client can actually send (no CR/LF/NUL), including junk Idempotency-Keys. */
export const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
  fc.constantFrom("", " ", "\t", "a b", "x".repeat(256), "x".repeat(255), "valid-key-1", "é", "\u00ff\u00fe"),
);
