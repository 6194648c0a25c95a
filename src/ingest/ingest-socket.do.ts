// IngestSocket: holds WebSocket ingest connections of one source shard through the Hibernation API and
// turns each text frame into one accept() call, answered by exactly one ack or nack on the same socket.
//
// Flow control: at most WS_MAX_IN_FLIGHT (default 32) frames of one connection, and MAX_IN_FLIGHT_PER_OBJECT
// over all its connections, may be waiting for accept() at once. A frame beyond that is not buffered: it
// is nacked at once with code "rate_limited" and the producer resends it after acks come back.
// Keepalive: a text frame exactly "ping" is answered "pong" by the runtime without waking the object.
import { count, instrumentEnv } from "../observability/counters";
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { loadConfig } from "../config";
import { AppError, problemResponse } from "../http/errors";
import { accept } from "./accept";
import { ack, nack, parseFrame, type Ref, type Reply } from "./ws-frames";
import { CLOSE_REVOKED, HANDOFF_HEADERS, maxInFlightPerSocket, sourceTag, tokenVersionTag } from "./ws-sockets";

export const MAX_IN_FLIGHT_PER_OBJECT = 512;

/** What each socket carries across hibernation. */
interface Attachment {
  connId: string;
  sourceId: string;
  ownerId: string;
  tokenVersion: number;
  defaultEventType: string | null;
}

const REVOKED_KEY = "revoked_below_token_version";

export class IngestSocket extends DurableObject<Env> {
  /** Frames waiting for accept(), per connection. Only non-zero while the object is awake. */
  private readonly inFlight = new Map<string, number>();
  private inFlightTotal = 0;
  private revokedBelow: number | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, instrumentEnv(env));
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  override async fetch(request: Request): Promise<Response> {
    count("do_requests");
    const requestId = request.headers.get(HANDOFF_HEADERS.requestId) ?? "unknown";
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return problemResponse("bad_request", "Expected a WebSocket upgrade request.", requestId, undefined, { upgrade: "websocket" });
    }
    const sourceId = request.headers.get(HANDOFF_HEADERS.sourceId);
    const ownerId = request.headers.get(HANDOFF_HEADERS.ownerId);
    const tokenVersion = Number(request.headers.get(HANDOFF_HEADERS.tokenVersion));
    if (!sourceId || !ownerId || !Number.isInteger(tokenVersion)) {
      return problemResponse("internal_error", "The connection was handed over without its source.", requestId);
    }
    // A rotation or deletion that raced this connection's authorization wins.
    if (tokenVersion < (await this.revokedBelowVersion())) {
      return problemResponse("unauthorized", "The source token was rotated or the source deleted.", requestId);
    }

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [sourceTag(sourceId), tokenVersionTag(tokenVersion)]);
    const attachment: Attachment = {
      connId: crypto.randomUUID(),
      sourceId,
      ownerId,
      tokenVersion,
      defaultEventType: request.headers.get(HANDOFF_HEADERS.eventType) || null,
    };
    server.serializeAttachment(attachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    count("do_websocket_messages");
    const conn = ws.deserializeAttachment() as Attachment | null;
    if (!conn) {
      // Cannot happen for sockets accepted by fetch(); still, every frame gets its answer.
      return this.reply(ws, nack(null, "internal_error", "This connection lost its source; reconnect."));
    }
    const parsed = parseFrame(message, {
      maxPayloadBytes: loadConfig(this.env).maxPayloadBytes,
      ownerId: conn.ownerId,
      defaultEventType: conn.defaultEventType,
    });
    if (parsed.kind === "nack") return this.reply(ws, parsed.reply);

    const mine = this.inFlight.get(conn.connId) ?? 0;
    const perSocket = maxInFlightPerSocket(this.env);
    if (mine >= perSocket || this.inFlightTotal >= MAX_IN_FLIGHT_PER_OBJECT) {
      return this.reply(
        ws,
        nack(
          parsed.ref,
          "rate_limited",
          mine >= perSocket
            ? `Too many frames in flight: at most ${perSocket} unanswered frames per connection. Resend after acks arrive.`
            : "This ingest object is saturated. Resend after acks arrive.",
        ),
      );
    }
    this.inFlight.set(conn.connId, mine + 1);
    this.inFlightTotal++;
    try {
      const result = await accept(this.env, {
        events: parsed.events,
        batch: parsed.batch,
        ownerScope: conn.ownerId,
        sourceId: conn.sourceId,
      });
      this.reply(ws, ack(parsed.ref, result.ids, parsed.batch));
    } catch (err) {
      this.reply(ws, errorReply(parsed.ref, err, conn));
    } finally {
      this.inFlightTotal--;
      const left = (this.inFlight.get(conn.connId) ?? 1) - 1;
      if (left > 0) this.inFlight.set(conn.connId, left);
      else this.inFlight.delete(conn.connId);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string, _wasClean: boolean): Promise<void> {
    this.forget(ws);
    try {
      // Completes the closing handshake where the runtime does not reply to a Close frame by itself.
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    const conn = ws.deserializeAttachment() as Attachment | null;
    console.warn(JSON.stringify({ level: "warn", msg: "ingest socket error", source_id: conn?.sourceId, error: String(error) }));
    this.forget(ws);
  }

  /**
   * RPC from closeSourceSockets(): closes this shard's connections of `sourceId` opened with a token
   * version below `belowTokenVersion`, and refuses such connections from now on. Returns how many closed.
   */
  async closeSource(sourceId: string, reason: string, belowTokenVersion: number): Promise<number> {
    count("do_requests");
    if (belowTokenVersion > (await this.revokedBelowVersion())) {
      this.revokedBelow = belowTokenVersion;
      await this.ctx.storage.put(REVOKED_KEY, belowTokenVersion);
    }
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(sourceTag(sourceId))) {
      const conn = ws.deserializeAttachment() as Attachment | null;
      if (conn && conn.tokenVersion >= belowTokenVersion) continue;
      try {
        ws.close(CLOSE_REVOKED, closeReason(reason));
        closed++;
      } catch {
        // already closing
      }
    }
    return closed;
  }

  private async revokedBelowVersion(): Promise<number> {
    if (this.revokedBelow === undefined) this.revokedBelow = (await this.ctx.storage.get<number>(REVOKED_KEY)) ?? 0;
    return this.revokedBelow;
  }

  private reply(ws: WebSocket, reply: Reply): void {
    try {
      ws.send(JSON.stringify(reply));
    } catch {
      // The client went away before its answer; accepted events stay accepted (at least once).
    }
  }

  private forget(ws: WebSocket): void {
    const conn = ws.deserializeAttachment() as Attachment | null;
    if (conn) this.inFlight.delete(conn.connId);
  }
}

/** A nack from accept()'s AppError; anything else means the events may not have been accepted: resend. */
function errorReply(ref: Ref, err: unknown, conn: Attachment): Reply {
  if (err instanceof AppError) {
    const reply = nack(ref, err.code, err.message, err.errors);
    const retryAfter = Number(err.headers?.["retry-after"] ?? err.headers?.["Retry-After"]);
    if (!reply.ok && Number.isFinite(retryAfter) && retryAfter > 0) reply.error.retry_after = retryAfter;
    return reply;
  }
  console.error(JSON.stringify({ level: "error", msg: "websocket accept failed", source_id: conn.sourceId, error: String((err as Error)?.stack ?? err) }));
  return nack(ref, "internal_error", "The events could not be accepted; nothing was acknowledged. Resend the frame.");
}

/** Close reasons are limited to 123 UTF-8 bytes. */
function closeReason(reason: string): string {
  let out = reason;
  while (new TextEncoder().encode(out).byteLength > 123) out = out.slice(0, -1);
  return out;
}
