// Validates raw event objects for accept(): payload size first (413), then the zod schema (422), then
// owner scope (403). All or nothing: any failing event refuses the whole call, and errors name its index.
import { EventInput } from "../domain/schemas";
import { serializePayload } from "../domain/payload-size";
import { AppError, validationFailed, zodFieldErrors, type FieldError } from "../http/errors";

export interface ValidEvent {
  ownerId: string;
  eventType: string;
  /** Serialized once here; these exact bytes are the webhook body on every attempt. */
  payloadJson: string;
  payloadBytes: number;
}

export interface ValidateOptions {
  batch: boolean;
  maxPayloadBytes: number;
  ownerScope?: string;
}

function payloadOf(raw: unknown): unknown {
  return raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>).payload : undefined;
}

export function validateEvents(rawEvents: unknown[], opts: ValidateOptions): ValidEvent[] {
  const pathOf = (index: number): (string | number)[] => (opts.batch ? ["events", index] : []);
  const oversize: FieldError[] = [];
  const invalid: FieldError[] = [];
  const valid: ValidEvent[] = [];

  rawEvents.forEach((raw, index) => {
    const serialized = serializePayload(payloadOf(raw));
    // Size is judged before the schema: an oversize event is a 413 even when other fields are also wrong.
    if (serialized && serialized.bytes > opts.maxPayloadBytes) {
      oversize.push({
        path: [...pathOf(index), "payload"].join("."),
        message: `payload is ${serialized.bytes} bytes serialized; the limit is ${opts.maxPayloadBytes}`,
      });
      return;
    }
    const parsed = EventInput.safeParse(raw);
    if (!parsed.success || !serialized) {
      invalid.push(...(parsed.success ? [{ path: [...pathOf(index), "payload"].join("."), message: "payload is required: any JSON value" }] : zodFieldErrors(parsed.error, pathOf(index))));
      return;
    }
    valid.push({
      ownerId: parsed.data.owner_id,
      eventType: parsed.data.event_type,
      payloadJson: serialized.json,
      payloadBytes: serialized.bytes,
    });
  });

  if (oversize.length > 0) {
    const which = opts.batch ? ` (event ${oversize[0]!.path.split(".")[1]})` : "";
    throw new AppError("payload_too_large", `An event payload exceeds MAX_PAYLOAD_BYTES (${opts.maxPayloadBytes})${which}.`, oversize);
  }
  if (invalid.length > 0) throw validationFailed(invalid);

  if (opts.ownerScope !== undefined) {
    const foreign = valid.findIndex((e) => e.ownerId !== opts.ownerScope);
    if (foreign !== -1) {
      throw new AppError("forbidden", "This API key or source cannot ingest events for another owner.", [
        { path: [...pathOf(foreign), "owner_id"].join("."), message: `must be ${opts.ownerScope}` },
      ]);
    }
  }
  return valid;
}
