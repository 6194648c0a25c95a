// EndpointDO: the only place that talks to an endpoint. One object per endpoint holds its in-flight work in
// SQLite (one row per delivery, in and out), drains due work from a single alarm (bounded concurrency, rate
// limit, pause on Retry-After), keeps retries until they are due, and hands finished deliveries to history.
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../config";
import { deliveryEndpointId, derivedId } from "../domain/ids";
import type { Env } from "../env";
import { findDeliveries } from "../history/delivery-history";
import type { DeliveryRecord } from "../history/records";
import { count, instrumentEnv, instrumentSql } from "../observability/counters";
import { classifyAttempt, type AttemptResult } from "./classify";
import type { DeliveryWork } from "./contracts";
import { attemptLogOf, attemptRecord, finalRecord, inFlightRecord } from "./delivery-record";
import { buildHeaders, sendAttempt } from "./dispatch";
import { DueIndex } from "./due-index";
import { openSnapshot, signingSecrets, type OpenedEndpoint } from "./endpoint-config";
import { EndpointHealth } from "./endpoint-health";
import type { FailureCounters } from "./failure-tracker";
import { EndpointStore, type WorkRow } from "./endpoint-store";
import { FinishedLog } from "./finished-log";
import { EndpointLimiter } from "./endpoint-limiter";
import { SnapshotKeeper } from "./snapshot-keeper";
import { CLOSE_ENDPOINT_DELETED, CLOSE_KEY_REVOKED, RelayChannel } from "./relay-channel";
import type { LimiterState } from "./rate-limit";
import { nextRetryDelaySeconds, parseRetryAfter } from "./retry-policy";

/** Stop starting new attempts after this long in one alarm run; the alarm re-arms for the rest. */
const RUN_BUDGET_MS = 15_000;
/**
 * Watchdog: while a run is going, the alarm is kept armed just past the point where every attempt in flight
 * must have ended. If the object dies mid-drain, that alarm brings it back soon (its rows are still there).
 */
const WATCHDOG_MARGIN_MS = 5_000;
const WATCHDOG_HEADROOM_MS = 5_000;
const WATCHDOG_INITIAL_MS = 30_000 + WATCHDOG_MARGIN_MS;
/** Finished outcomes go to history at least this often within a run, or as soon as this many wait. */
const FLUSH_INTERVAL_MS = 250;
const FLUSH_BATCH = 100;
/** No new attempt starts while this many outcomes wait for history (it is down): memory stays bounded. */
const MAX_WAITING_OUTCOMES = 2_000;
/** Back-off after a history, D1 or config failure: the work stays in storage and is retried. */
const RETRY_IO_MS = 5_000;
export const DELETED_ENDPOINT_ERROR = "endpoint deleted: its pending deliveries cannot be attempted";

/** What inspect() reports: counts and limiter state only, never payloads or secrets. */
export interface EndpointInspection {
  /** In-flight rows: pending, retrying, held until logged. */
  work: number;
  /** Outcomes waiting to be written to history. */
  unlogged: number;
  pauseUntil: number | null;
  nextAlarm: number | null;
  /** Work waiting here for its turn or its retry. */
  pending: number;
  inFlight: number;
  limiter: LimiterState | null;
  /** The endpoint's failure counters as this object keeps them (D1's copy is written on transitions). */
  health: FailureCounters;
  /** Sizes of what this object keeps in memory: each must stay bounded however many deliveries went through. */
  memory: { dueKeys: number; unlogged: number; busy: number; sendTimes: number };
}

export class EndpointDO extends DurableObject<Env> {
  private readonly store: EndpointStore;
  private readonly due: DueIndex;
  private readonly finished: FinishedLog;
  private readonly snapshot: SnapshotKeeper;
  private readonly health: EndpointHealth;
  private readonly limiter: EndpointLimiter;
  /** relay: `hookrelay listen` sockets and their pending replies (relay-channel.ts). */
  private readonly relay: RelayChannel;
  private readonly busy = new Set<string>();
  private draining = false;
  private ioFailedAt = 0;
  /** Held rows may be waiting to be logged (true at start: rows from before a restart are checked once). */
  private heldWaiting = true;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, instrumentEnv(env));
    const tx = (fn: () => void) => ctx.storage.transactionSync(fn);
    this.store = new EndpointStore(instrumentSql(ctx.storage.sql, "EndpointDO"), tx);
    this.due = new DueIndex((after, limit) => this.store.duePage(after, limit));
    this.finished = new FinishedLog(this.env, this.store, tx);
    this.snapshot = new SnapshotKeeper(this.env, this.store);
    this.health = new EndpointHealth(this.env, this.store);
    this.limiter = new EndpointLimiter(this.store);
    this.relay = new RelayChannel(ctx);
  }

  // --- RPC ---------------------------------------------------------------------------------------------

  /**
   * Accepts deliveries for this endpoint. Idempotent by delivery_id: work already here is left alone, and
   * work marked `maybe_seen` (its event was routed before: a redelivered message) is first looked up in
   * history, so a delivery that already finished is not made again. Manual retries restart their delivery.
   */
  async enqueue(items: DeliveryWork[]): Promise<{ queued: number }> {
    count("do_requests");
    const now = Date.now();
    const known = await this.alreadyFinished(items);
    let queued = 0;
    this.ctx.storage.transactionSync(() => {
      for (const w of items) {
        this.snapshot.remember(w.endpoint_id, w.owner_id);
        if (w.manual) {
          const row = this.store.work(w.delivery_id);
          const key = row
            ? this.store.restartWork(w.delivery_id, Math.max(w.attempts, row.attempts), now)
            : this.store.insertWork(w, "queued", w.attempts, 0, now, now);
          if (row) this.finished.restarted(w.delivery_id, key!.seq);
          this.due.remove(w.delivery_id);
          if (key) this.due.add(key);
          queued++;
          continue;
        }
        if (known.has(w.delivery_id)) continue;
        const key = this.store.insertWork(w, w.held ? "held" : "queued", w.attempts, w.attempts_in_run, Math.max(now, w.due_at ?? now), now);
        if (key && !w.held) this.due.add(key);
        if (key && w.held) this.heldWaiting = true;
        if (key) queued++;
      }
    });
    if (!this.draining) await this.scheduleNext();
    return { queued };
  }

  /** Ids among `maybe_seen` items that history already holds (and this object does not). */
  private async alreadyFinished(items: DeliveryWork[]): Promise<Set<string>> {
    const candidates = items.filter((w) => w.maybe_seen && !w.manual).map((w) => w.delivery_id);
    if (candidates.length === 0) return new Set();
    const here = new Set(this.store.works(candidates).map((r) => r.delivery_id));
    const lookup = candidates.filter((id) => !here.has(id));
    return new Set(lookup.length ? (await findDeliveries(this.env, lookup)).keys() : []);
  }

  /** Drops the config snapshot; the next run reloads it from D1 (URL, secrets, status, policy). */
  async configChanged(): Promise<void> {
    count("do_requests");
    this.snapshot.invalidate();
    // A drain waiting for a token stops (the snapshot is gone) and the next run applies the new limit.
    this.limiter.wakeNow();
    if (!this.draining) await this.scheduleNext();
  }

  async inspect(): Promise<EndpointInspection> {
    count("do_requests");
    const counts = this.store.counts();
    return {
      work: counts.total,
      unlogged: this.finished.size,
      pauseUntil: this.limiter.pausedUntil() || null,
      nextAlarm: await this.ctx.storage.getAlarm(),
      pending: counts.queued,
      inFlight: this.busy.size,
      limiter: this.limiter.state(),
      health: this.health.current(),
      memory: { dueKeys: this.due.size, unlogged: this.finished.size, busy: this.busy.size, sendTimes: this.limiter.sendTimesKept },
    };
  }

  /** In-flight deliveries newest first (payloads left out), for lists beside history. */
  async listInFlight(beforeId: string | undefined, limit: number): Promise<DeliveryRecord[]> {
    count("do_requests");
    const endpointId = this.snapshot.endpointId() ?? "";
    return this.store.list(beforeId, limit).map((row) => this.relay.shown(inFlightRecord(row, endpointId), this.snapshot.current()));
  }

  /** In-flight deliveries by id (absent: not here). */
  async getInFlight(ids: string[]): Promise<DeliveryRecord[]> {
    count("do_requests");
    return this.store.works(ids).map((row) => this.relay.shown(inFlightRecord(row, deliveryEndpointId(row.delivery_id) ?? ""), this.snapshot.current()));
  }

  // --- Relay listeners (`hookrelay listen`, relay-channel.ts) --------------------------------------------

  /** GET /v1/endpoints/{id}/listen, handed over by the Worker after it checked the key, owner and kind. */
  override async fetch(request: Request): Promise<Response> {
    count("do_requests");
    const { response, endpointId, ownerId } = this.relay.accept(request);
    if (endpointId && ownerId) this.snapshot.remember(endpointId, ownerId);
    // Work held while nobody listened is due now.
    if (!this.draining) await this.scheduleNext();
    return response;
  }

  /** RPC: `hookrelay listen` sockets open now (0: the relay endpoint's deliveries are held). */
  async relayListeners(): Promise<number> {
    count("do_requests");
    return this.relay.listeners();
  }

  /** RPC: the relay endpoint was deleted (every listener closed), or an API key revoked (its listeners closed). */
  async closeListeners(revokedKeyId?: string): Promise<number> {
    count("do_requests");
    if (revokedKeyId !== undefined) return this.relay.closeAll(CLOSE_KEY_REVOKED, "api key revoked", revokedKeyId);
    return this.relay.closeAll(CLOSE_ENDPOINT_DELETED, "endpoint deleted");
  }

  override async webSocketMessage(_ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    count("do_websocket_messages");
    this.relay.onMessage(message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.relay.onClose(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.relay.onClose(ws, 1011, "socket error");
  }

  // --- Alarm -------------------------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    count("do_alarms");
    if (this.draining) return;
    this.draining = true;
    const started = Date.now();
    try {
      await this.armAlarm(started + WATCHDOG_INITIAL_MS);
      if (!(await this.flushAll())) return;
      const state = await this.snapshot.load();
      if (state === null) return this.ioFailed(); // D1 unreachable and no snapshot yet
      if (state.kind === "deleted") {
        await this.finishAll("failed", DELETED_ENDPOINT_ERROR);
      } else if (state.snap.status === "disabled") {
        await this.finishAll("held", null);
      } else {
        if (this.snapshot.reloaded()) this.health.adopt(state.snap.counters);
        const endpoint = await this.snapshot.open(() => openSnapshot(this.env, state.snap));
        await this.drain(endpoint, started + RUN_BUDGET_MS);
        // The endpoint may have been disabled by this run (410, failure threshold): hold what is left.
        if (this.snapshot.current()?.status === "disabled") await this.finishAll("held", null);
      }
      await this.logHeld();
      await this.flushAll();
    } catch (err) {
      // E.g. secrets that cannot be decrypted (ENCRYPTION_KEY missing or rotated away): the work stays
      // queued, and the next run waits RETRY_IO_MS instead of spinning.
      console.error(JSON.stringify({ level: "error", msg: "endpoint run failed", endpoint_id: this.snapshot.endpointId(), error: String(err) }));
      this.due.reset();
      this.ioFailed();
    } finally {
      this.draining = false;
      await this.scheduleNext();
    }
  }

  /** Writes waiting outcomes to history and the endpoint's health to D1. False (and backs off) on failure. */
  private async flushAll(): Promise<boolean> {
    const ok = (await this.finished.flush()) && (await this.health.flush(this.snapshot.endpointId(), this.snapshot.ownerId()));
    if (!ok) this.ioFailed();
    return ok;
  }

  private ioFailed(): void {
    this.ioFailedAt = Date.now();
  }

  /** Runs due work with at most maxInFlight attempts at once until none is due, the limit says wait, or the budget ends. */
  private async drain(endpoint: OpenedEndpoint, deadline: number): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let lastFlush = Date.now();
    let watchdogAt = 0;
    const isBusy = (id: string) => this.busy.has(id) || this.finished.has(id);
    for (;;) {
      if (this.finished.size >= FLUSH_BATCH || (this.finished.size > 0 && Date.now() - lastFlush >= FLUSH_INTERVAL_MS)) {
        // Attempts in flight keep going while history is written.
        if (!(await this.finished.flush()) && this.finished.size >= MAX_WAITING_OUTCOMES) break;
        lastFlush = Date.now();
      }
      const now = Date.now();
      const stop = now >= deadline || this.limiter.pausedUntil() > now || this.snapshot.current()?.status !== "active" || !this.relay.mayAttempt(endpoint);
      const next = stop ? undefined : this.due.peek(isBusy);
      const dueNow = next !== undefined && next.due <= now;
      if (!dueNow || inFlight.size >= endpoint.maxInFlight) {
        // Work that waits (for a connection, the end of a pause, or the next run) must not bank tokens meanwhile.
        if (dueNow || (stop && this.due.peek(isBusy))) this.limiter.markWaiting(endpoint.rateLimit, now);
        if (inFlight.size === 0) break;
        await Promise.race(inFlight);
        continue;
      }
      const token = this.limiter.take(endpoint.rateLimit, now);
      if (!token.ok) {
        if (now + token.waitMs >= deadline) {
          if (inFlight.size === 0) break;
          await Promise.race(inFlight);
          continue;
        }
        // A short wait is slept here: an alarm round trip per token would make every send late.
        await this.limiter.sleepUntil(now + token.waitMs, inFlight);
        continue;
      }
      this.due.take();
      const row = this.store.work(next.id);
      if (!row || row.state !== "queued") continue;
      this.busy.add(row.delivery_id);
      if (now + endpoint.timeoutMs + WATCHDOG_MARGIN_MS > watchdogAt) {
        // Re-armed with headroom so a busy drain writes the alarm every few seconds, not per attempt.
        watchdogAt = now + endpoint.timeoutMs + WATCHDOG_MARGIN_MS + WATCHDOG_HEADROOM_MS;
        await this.armAlarm(watchdogAt);
      }
      const p: Promise<void> = this.attemptOne(endpoint, row, now)
        .catch((err) => {
          // The row is still queued; the next run (after a reload of the due order) picks it up.
          console.error(JSON.stringify({ level: "error", msg: "attempt outcome not stored", error: String(err) }));
          this.due.reset();
        })
        .finally(() => {
          this.busy.delete(row.delivery_id);
          inFlight.delete(p);
        });
      inFlight.add(p);
    }
  }

  private async attemptOne(endpoint: OpenedEndpoint, row: WorkRow, decidedAt: number): Promise<void> {
    const attempt = row.attempts + 1;
    const startedAt = Date.now();
    this.limiter.noteStart(startedAt);
    const attemptId = await derivedId("att", row.delivery_id, String(attempt));
    let result: AttemptResult;
    try {
      const message = { eventId: row.event_id, eventType: row.event_type, ownerId: row.owner_id, deliveryId: row.delivery_id, attempt, payload: row.payload };
      const headers = await buildHeaders(message, signingSecrets(endpoint, startedAt), endpoint.auth, startedAt);
      this.limiter.sent(endpoint.rateLimit, decidedAt, Date.now());
      result =
        endpoint.kind === "relay" // relay: the attempt goes to the listener, never over HTTP
          ? await this.relay.sendViaRelay({ delivery_id: row.delivery_id, attempt, headers, body: row.payload }, endpoint.timeoutMs)
          : await sendAttempt({ url: endpoint.url, body: row.payload, headers, timeoutMs: endpoint.timeoutMs });
    } catch (err) {
      // Building the request failed (bad secret, bad URL): a failed attempt, never a lost delivery.
      result = { startedAt, durationMs: Date.now() - startedAt, statusCode: null, error: `network: ${String(err)}`, responseBody: null, retryAfter: null };
    }
    this.recordOutcome(endpoint, row, attemptRecord(attemptId, attempt, result), result);
  }

  /**
   * One attempt's consequences, in one storage transaction: the endpoint's health, pause and back-off, and
   * the delivery's next step — finished (waits in memory for history; no row written) or a retry (one row).
   */
  private recordOutcome(endpoint: OpenedEndpoint, row: WorkRow, attempt: ReturnType<typeof attemptRecord>, result: AttemptResult): void {
    const now = Date.now();
    const retryAfterS = parseRetryAfter(result.retryAfter, now);
    const cls = classifyAttempt(result, retryAfterS);
    this.ctx.storage.transactionSync(() => {
      const cfg = loadConfig(this.env);
      const disable = this.health.record(cls.success, cls.disableEndpoint, result, now, cfg);
      if (disable) this.snapshot.markDisabled();
      this.limiter.afterAttempt(endpoint, cls, result, now);

      const attemptsInRun = row.attempts_in_run + 1;
      const delay =
        cls.success || cls.disableEndpoint
          ? null
          : nextRetryDelaySeconds({ policy: endpoint.retry, attemptsInRun, random: Math.random, retryAfterSeconds: retryAfterS });
      if (cls.success || delay === null) {
        this.finished.add(finalRecord(row, endpoint.id, cls.success ? "succeeded" : "failed", now, { attempt }), row.attempts, row.seq);
        return;
      }
      const key = this.store.scheduleRetry(row.delivery_id, attempt.attempt, attemptsInRun, now + Math.round(delay * 1000), [...attemptLogOf(row), attempt]);
      this.due.add(key);
    });
  }

  /** Ends every piece of work without attempting it: `held` (endpoint disabled) or `failed` (endpoint deleted). */
  private async finishAll(status: "held" | "failed", error: string | null): Promise<void> {
    const endpointId = this.snapshot.endpointId() ?? "";
    for (let guard = 0; guard < 1_000; guard++) {
      const rows = this.store.rows(FLUSH_BATCH * 2).filter((r) => !this.finished.has(r.delivery_id) && !this.busy.has(r.delivery_id));
      if (rows.length === 0) return;
      const now = Date.now();
      for (const row of rows) {
        this.due.remove(row.delivery_id);
        this.finished.add(finalRecord(row, endpointId, status, now, status === "failed" ? { error } : {}), row.attempts, row.seq);
      }
      if (!(await this.finished.flush())) return this.ioFailed();
    }
  }

  /** Deliveries handed over as `held` (their endpoint was disabled when routed): logged without an attempt. */
  private async logHeld(): Promise<void> {
    const endpointId = this.snapshot.endpointId() ?? "";
    for (let guard = 0; guard < 1_000; guard++) {
      const rows = this.store.rows(FLUSH_BATCH * 2, "held").filter((r) => !this.finished.has(r.delivery_id));
      if (rows.length === 0) {
        this.heldWaiting = false;
        return;
      }
      const now = Date.now();
      for (const row of rows) this.finished.add(finalRecord(row, endpointId, "held", now), row.attempts, row.seq);
      if (!(await this.finished.flush())) return this.ioFailed();
    }
  }

  // --- Alarm scheduling --------------------------------------------------------------------------------

  /** Each setAlarm() is billed as a row written: counted like one. */
  private async armAlarm(at: number): Promise<void> {
    count("do_sql_rows_written");
    await this.ctx.storage.setAlarm(at);
  }

  /**
   * Arms the single alarm for the earliest thing to do: due work (not before a pause ends or the limit allows),
   * held rows or outcomes to log, a health write. Deletes it when there is nothing. Reads memory only (and the
   * due order's storage page when it runs dry): it runs on every enqueue.
   */
  private async scheduleNext(): Promise<void> {
    const now = Date.now();
    const candidates: number[] = [];
    const next = this.due.peek((id) => this.busy.has(id) || this.finished.has(id));
    // relay: a relay endpoint's work waits (held) while no listener is connected; a connecting one re-runs this.
    if (next && this.relay.mayAttempt(this.snapshot.current())) candidates.push(Math.max(next.due, this.limiter.pausedUntil(), this.limiter.readyAt(this.snapshot.current()?.rateLimit ?? null, now)));
    if (this.finished.size > 0 || this.heldWaiting || this.health.pending()) candidates.push(now);
    const ioRetryAt = now - this.ioFailedAt < RETRY_IO_MS ? this.ioFailedAt + RETRY_IO_MS : now;
    if (candidates.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const at = Math.max(ioRetryAt, Math.min(...candidates));
    if ((await this.ctx.storage.getAlarm()) !== at) await this.armAlarm(at);
  }
}
