// The EndpointDO's side of `hookrelay listen`: the listeners' WebSockets (Hibernation API, so an idle
// listener costs nothing), each attempt of a relay endpoint sent as a frame to one of them, and the reply
// awaited (keyed by delivery id + attempt, bounded by the endpoint's timeout) as the attempt's result.
// While no listener is connected a relay endpoint's work is not attempted: the drain asks mayAttempt().
import { problemResponse } from "../http/errors";
import type { DeliveryRecord } from "../history/records";
import type { AttemptResult } from "./classify";
import { attemptFromReply, failedAttempt, parseReply, replyKey, type DeliveryFrame } from "./relay-frames";

/** Tag of listener sockets among the object's WebSockets. */
export const RELAY_SOCKET_TAG = "relay";
/** Headers the Worker sets (replacing anything the client sent) when it hands a listener over. */
export const RELAY_HANDOFF_HEADERS = {
  endpointId: "x-hookrelay-endpoint-id",
  ownerId: "x-hookrelay-owner-id",
  /** The API key the listener authenticated with ("admin" for the admin key): revoking it closes the socket. */
  keyId: "x-hookrelay-key-id",
  requestId: "x-request-id",
} as const;
/**
 * Waited past the endpoint's timeout: the listener times its local request out itself (its --timeout-ms,
 * default 10 s) and reports that; the grace lets its own verdict arrive over the socket before ours.
 */
export const REPLY_GRACE_MS = 2_000;
export const NO_LISTENER_ERROR = "network: no listener connected";
/** Close code sent to listeners when their endpoint is deleted (a reconnect then gets 404). */
export const CLOSE_ENDPOINT_DELETED = 4004;
/** Close code sent to listeners whose API key was revoked (a reconnect then gets 401). */
export const CLOSE_KEY_REVOKED = 4001;
export const LISTENER_GONE_ERROR = "network: the listener disconnected before answering";

/** What a listener socket carries across hibernation. */
interface Attachment {
  connId: string;
  connectedAt: number;
  keyId: string;
}

interface Waiter {
  connId: string;
  startedAt: number;
  finish(result: AttemptResult): void;
}

/** The part of the endpoint's snapshot that decides how it is delivered (absent kind: an older snapshot, http). */
type KindOf = { kind?: "http" | "relay" } | null | undefined;

export function isRelay(snap: KindOf): boolean {
  return snap?.kind === "relay";
}

export class RelayChannel {
  /** Attempts waiting for their reply. Only non-empty while a drain awaits them, so never across hibernation. */
  private readonly waiting = new Map<string, Waiter>();

  constructor(private readonly ctx: DurableObjectState) {}

  /** Open listener sockets, oldest first. */
  private sockets(): WebSocket[] {
    return this.ctx.getWebSockets(RELAY_SOCKET_TAG).filter((ws) => ws.readyState === WebSocket.OPEN);
  }

  listeners(): number {
    return this.sockets().length;
  }

  /** Whether the drain may start attempts: always for http endpoints; for relay ones only while a listener is connected. */
  mayAttempt(snap: KindOf): boolean {
    return !isRelay(snap) || this.listeners() > 0;
  }

  /** Accepts a listener handed over by GET /v1/endpoints/{id}/listen (the Worker checked key, owner and kind). */
  accept(request: Request): { response: Response; endpointId?: string; ownerId?: string } {
    const requestId = request.headers.get(RELAY_HANDOFF_HEADERS.requestId) ?? "unknown";
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return { response: problemResponse("upgrade_required", "Expected a WebSocket upgrade request.", requestId, undefined, { upgrade: "websocket" }) };
    }
    const endpointId = request.headers.get(RELAY_HANDOFF_HEADERS.endpointId);
    const ownerId = request.headers.get(RELAY_HANDOFF_HEADERS.ownerId);
    const keyId = request.headers.get(RELAY_HANDOFF_HEADERS.keyId);
    if (!endpointId || !ownerId || !keyId) {
      return { response: problemResponse("internal_error", "The listener was handed over without its endpoint.", requestId) };
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [RELAY_SOCKET_TAG]);
    server.serializeAttachment({ connId: crypto.randomUUID(), connectedAt: Date.now(), keyId } satisfies Attachment);
    return { response: new Response(null, { status: 101, webSocket: client }), endpointId, ownerId };
  }

  /**
   * One attempt over the relay: the frame goes to the newest listener and the result is its reply, or a
   * failed attempt (no listener, socket gone, no reply within timeoutMs + grace). Never throws.
   */
  sendViaRelay(frame: DeliveryFrame, timeoutMs: number): Promise<AttemptResult> {
    const startedAt = Date.now();
    const ws = this.sockets().at(-1);
    const connId = (ws?.deserializeAttachment() as Attachment | null)?.connId;
    if (!ws || !connId) return Promise.resolve(failedAttempt(startedAt, Date.now(), NO_LISTENER_ERROR));
    const key = replyKey(frame.delivery_id, frame.attempt);
    // The drain never runs one delivery twice at once; a leftover waiter of the same key is ended first.
    this.waiting.get(key)?.finish(failedAttempt(startedAt, Date.now(), "network: superseded by a new attempt"));
    return new Promise<AttemptResult>((resolve) => {
      const timer = setTimeout(() => waiter.finish(failedAttempt(startedAt, Date.now(), "timeout")), timeoutMs + REPLY_GRACE_MS);
      const waiter: Waiter = {
        connId,
        startedAt,
        finish: (result) => {
          clearTimeout(timer);
          if (this.waiting.get(key) === waiter) this.waiting.delete(key);
          resolve(result);
        },
      };
      this.waiting.set(key, waiter);
      try {
        ws.send(JSON.stringify(frame));
      } catch (err) {
        waiter.finish(failedAttempt(startedAt, Date.now(), `network: relay send failed: ${String(err).slice(0, 200)}`));
      }
    });
  }

  /** A listener's frame: the reply to a waiting attempt, or ignored (late, unknown, not a reply). */
  onMessage(message: string | ArrayBuffer): void {
    const parsed = parseReply(message);
    if (parsed.kind === "ignored") return;
    const waiter = this.waiting.get(parsed.key);
    if (!waiter) return; // late (its attempt already timed out) or from before a restart: the attempt is already decided
    const now = Date.now();
    waiter.finish(parsed.kind === "reply" ? attemptFromReply(parsed.reply, waiter.startedAt, now) : failedAttempt(waiter.startedAt, now, parsed.error));
  }

  /** A listener went away: its unanswered attempts fail now (retried by policy) instead of waiting out their timeout. */
  onClose(ws: WebSocket, code: number, reason: string): void {
    const connId = (ws.deserializeAttachment() as Attachment | null)?.connId;
    for (const waiter of [...this.waiting.values()]) {
      if (waiter.connId === connId) waiter.finish(failedAttempt(waiter.startedAt, Date.now(), LISTENER_GONE_ERROR));
    }
    try {
      // Completes the closing handshake where the runtime does not answer a Close frame by itself.
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  /** Closes every listener (the endpoint was deleted), or those that authenticated with `keyId` (revoked); returns how many. */
  closeAll(code: number, reason: string, keyId?: string): number {
    let closed = 0;
    for (const ws of this.sockets()) {
      if (keyId !== undefined && (ws.deserializeAttachment() as Attachment | null)?.keyId !== keyId) continue;
      try {
        ws.close(code, reason);
        closed++;
      } catch {
        // already closing
      }
    }
    return closed;
  }

  /**
   * How an in-flight delivery of this endpoint reads in the API: while a relay endpoint has no listener its
   * waiting work is `held` (API.md "SDK and CLI"), with no next attempt time until one connects.
   */
  shown(record: DeliveryRecord, snap: KindOf): DeliveryRecord {
    if (!isRelay(snap) || this.listeners() > 0 || (record.status !== "pending" && record.status !== "retrying")) return record;
    return { ...record, status: "held", next_attempt_at: null };
  }
}
