// Byte sizes of serialized payloads: the UTF-8 length of a string, counted without allocating a copy.

/** UTF-8 byte length of a JS string (lone surrogates count as the 3-byte U+FFFD they encode to). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

export interface SerializedPayload {
  /** The exact bytes every endpoint receives, forever. */
  json: string;
  bytes: number;
}

/** Serializes a payload once; `undefined` (absent) has no serialization and yields null. */
export function serializePayload(payload: unknown): SerializedPayload | null {
  if (payload === undefined) return null;
  const json = JSON.stringify(payload);
  if (json === undefined) return null;
  return { json, bytes: utf8ByteLength(json) };
}
