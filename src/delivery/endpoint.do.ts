// EndpointDO: the only place that talks to an endpoint. One object per endpoint holds its pending work in
// SQLite, drains due work from a single alarm (bounded concurrency, token bucket, pause on Retry-After),
// and records every outcome plus its D1 writes (outbox) in one storage transaction.
import { count, instrumentEnv, instrumentSql } from "../observability/counters";
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../config";
import { getDb } from "../db/client";
import type { AttemptRow } from "../db/repos/attempts";
import { readConfigVersions } from "../db/repos/config-versions";
import type { DeliveryChanges } from "../db/repos/deliveries";
import { derivedId } from "../domain/ids";
import type { Env } from "../env";
import { classifyAttempt, type AttemptResult, type Classification } from "./classify";
import { retryQueueDelaySeconds, type DeliveryWork, type RetryQueueMessage } from "./contracts";
import { buildHeaders, sendAttempt } from "./dispatch";
import {
  openSnapshot,
  readEndpointSnapshot,
  signingSecrets,
  type EndpointSnapshot,
  type OpenedEndpoint,
} from "./endpoint-config";
import { afterFailure, afterSuccess, type FailureCounters } from "./failure-tracker";
import { EndpointStore, type OutboxRow, type WorkRow } from "./endpoint-store";
import { outboxStatements, type OutboxOp } from "./outbox";
import { initialState, markWaiting, observedRate, onSent, onThrottled, takeToken, tokenReadyAt, type LimiterState, type RateLimitConfig } from "./rate-limit";
import { nextRetryDelaySeconds, parseRetryAfter } from "./retry-policy";

/** Stop starting new attempts after this long in one alarm run; the alarm re-arms for the rest. */
const RUN_BUDGET_MS = 15_000;
/**
 * Watchdog: while a run is going, the alarm is kept armed just past the point where every attempt in
 * flight must have ended (its timeout plus this margin). If the object dies mid-drain, that alarm brings
 * it back soon; a healthy run always re-arms it before it fires.
 */
const WATCHDOG_MARGIN_MS = 5_000;
const WATCHDOG_HEADROOM_MS = 5_000;
/** Before the endpoint's timeout is known: the longest timeout allowed plus the margin. */
const WATCHDOG_INITIAL_MS = 30_000 + WATCHDOG_MARGIN_MS;
/** Within a run, D1 sees outcomes at least this often (and whenever a chunk of writes is ready). */
const FLUSH_INTERVAL_MS = 1_000;
/** Back-off for D1 or queue failures: the work stays in storage and is retried. */
const RETRY_IO_MS = 5_000;
/** D1 writes (outbox ops) per db.batch; also the most one outbox row holds. */
const OUTBOX_CHUNK = 50;
const OUTBOX_MAX_CHUNKS_PER_RUN = 40;
/** Start times of this many recent attempts are kept in memory: an unlimited endpoint's observed rate. */
const SEND_TIMES_KEPT = 50;
/** How long a finished delivery's attempt count is remembered (to spot stale duplicates): past retention. */
const HISTORY_KEEP_MS = 40 * 86_400_000;
/** Pruning history scans the whole table: at most this often per running object (a day more or less is harmless). */
const HISTORY_PRUNE_EVERY_MS = 3_600_000;
export const DELETED_ENDPOINT_ERROR = "endpoint deleted: its pending deliveries cannot be attempted";

type SnapshotState = { kind: "endpoint"; snap: EndpointSnapshot } | { kind: "deleted" };

/** What inspect() reports: counts and limiter state only, never payloads or secrets. */
export interface EndpointInspection {
  work: number;
  outbox: number;
  parked: number;
  pauseUntil: number | null;
  nextAlarm: number | null;
  /** Work waiting here for its turn (excludes retries handed to the queue). */
  pending: number;
  inFlight: number;
  limiter: LimiterState | null;
}

export class EndpointDO extends DurableObject<Env> {
  private readonly store: EndpointStore;
  private opened: OpenedEndpoint | null = null;
  private draining = false;
  private inFlightNow = 0;
  private sendTimes: number[] = [];
  private historyPrunedAt = 0;
  /** Ends a drain's wait for a token early (configChanged: a new rate limit applies to the next delivery). */
  private wake: (() => void) | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, instrumentEnv(env));
    this.store = new EndpointStore(instrumentSql(ctx.storage.sql), (fn) => ctx.storage.transactionSync(fn));
  }

  // --- RPC ---------------------------------------------------------------------------------------------

  /**
   * Accepts deliveries for this endpoint. Idempotent by delivery_id: work already queued is left alone, and
   * work that is behind what this object already attempted (a duplicate queue message, a stale sweep) is
   * ignored unless it is a manual retry. Returns how many items were newly queued.
   */
  async enqueue(items: DeliveryWork[]): Promise<{ queued: number }> {
    count("do_requests");
    const now = Date.now();
    let queued = 0;
    this.ctx.storage.transactionSync(() => {
      for (const w of items) {
        if (this.store.getMeta("endpoint_id") === null) this.store.setMeta("endpoint_id", w.endpoint_id);
        if (this.store.getMeta("owner_id") === null) this.store.setMeta("owner_id", w.owner_id);
        const h = this.store.history(w.delivery_id);
        const known = h?.attempts ?? 0;
        if (w.manual) {
          // A manual retry restarts the run now, even if the delivery is waiting for a scheduled retry.
          const attempts = Math.max(w.attempts, known);
          if (this.store.hasWork(w.delivery_id)) {
            this.store.restartWork(w.delivery_id, attempts, now);
          } else {
            this.store.insertWork(w, attempts, 0, now);
          }
          queued++;
          continue;
        }
        if (h && (w.attempts < known || h.status === "succeeded")) continue;
        const inserted = this.store.insertWork(w, w.attempts, w.attempts_in_run, Math.max(now, w.due_at ?? now));
        if (inserted) queued++;
      }
    });
    if (!this.draining) await this.scheduleNext();
    return { queued };
  }

  /** Drops the config snapshot; the next run reloads it from D1 (URL, secrets, status, policy, counters). */
  async configChanged(): Promise<void> {
    count("do_requests");
    this.opened = null;
    this.store.deleteMeta("snapshot");
    // A drain waiting for a token stops (the snapshot is gone) and the next run applies the new limit.
    this.wake?.();
    if (!this.draining) await this.scheduleNext();
  }

  /** For the API, tests and operators: what this object holds right now (counts only, never payloads or secrets). */
  async inspect(): Promise<EndpointInspection> {
    count("do_requests");
    const work = this.store.workCount();
    const parked = this.store.parkedCount();
    const pause = this.store.getMeta("pause_until");
    return {
      work,
      outbox: this.store.outboxSize(),
      parked,
      pauseUntil: pause ? Number(pause) : null,
      nextAlarm: await this.ctx.storage.getAlarm(),
      pending: this.store.queuedCount(),
      inFlight: this.inFlightNow,
      limiter: this.limiterState(),
    };
  }

  // --- Alarm -------------------------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    count("do_alarms");
    if (this.draining) return;
    this.draining = true;
    const started = Date.now();
    try {
      await this.ctx.storage.setAlarm(started + WATCHDOG_INITIAL_MS);
      // Flushing first lets a reloaded snapshot see this object's own latest counters in D1.
      await this.flushOutbox();
      const state = await this.loadSnapshot();
      if (state === null) return; // D1 unreachable and no snapshot yet: scheduleNext retries soon.
      if (state.kind === "deleted") {
        this.finishAll("failed", DELETED_ENDPOINT_ERROR);
      } else if (state.snap.status === "disabled") {
        this.finishAll("held", null);
      } else {
        await this.sendPendingRetries();
        const endpoint = await this.openEndpoint(state.snap);
        await this.drain(endpoint, started + RUN_BUDGET_MS);
        // The endpoint may have been disabled by this run (410, failure threshold): hold what is left.
        if (this.currentSnapshot()?.status === "disabled") this.finishAll("held", null);
      }
      await this.flushOutbox();
      if (started - this.historyPrunedAt >= HISTORY_PRUNE_EVERY_MS) {
        this.store.pruneHistory(started - HISTORY_KEEP_MS);
        this.historyPrunedAt = started;
      }
    } catch (err) {
      // E.g. secrets that cannot be decrypted (ENCRYPTION_KEY missing or rotated away): the work stays
      // queued, and the next run waits RETRY_IO_MS instead of spinning.
      console.error(JSON.stringify({ level: "error", msg: "endpoint run failed", endpoint_id: this.store.getMeta("endpoint_id"), error: String(err) }));
      this.store.setMeta("flush_failed_at", String(Date.now()));
    } finally {
      this.draining = false;
      await this.scheduleNext();
    }
  }

  /** Runs due work with at most maxInFlight attempts at once until none is due, tokens run out, or the budget ends. */
  private async drain(endpoint: OpenedEndpoint, deadline: number): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const claimed = new Set<string>();
    let lastFlush = Date.now();
    let watchdogAt = 0;
    for (;;) {
      // More than one outbox row: one is full, a chunk of writes is ready.
      if (Date.now() - lastFlush >= FLUSH_INTERVAL_MS || this.store.outboxSize() > 1) {
        // Attempts in flight keep going while D1 is written.
        await this.flushOutbox();
        lastFlush = Date.now();
      }
      const now = Date.now();
      // No snapshot: configChanged() dropped it mid-run; the next run reloads it and applies the change.
      const stop = now >= deadline || this.pausedUntil() > now || this.currentSnapshot()?.status !== "active";
      const nextId = stop ? undefined : this.store.nextDueId(now, claimed);
      if (!nextId || inFlight.size >= endpoint.maxInFlight) {
        // Work that waits (for a connection, the end of a pause, or the next run) must not bank tokens
        // meanwhile, or a late start would let the requests after it bunch up (see LimiterState.holdCap).
        if (nextId || (stop && this.store.nextDueId(now, claimed))) this.markLimiterWaiting(endpoint.rateLimit, now);
        if (inFlight.size === 0) break;
        await Promise.race(inFlight);
        continue;
      }
      const token = this.takeToken(endpoint.rateLimit, now);
      if (!token.ok) {
        const wakeAt = now + token.waitMs;
        if (wakeAt >= deadline) {
          // A long wait: end the run; scheduleNext arms the alarm for when the token is back.
          if (inFlight.size === 0) break;
          await Promise.race(inFlight);
          continue;
        }
        // A short wait is slept here: an alarm round trip per token would make every send late. D1 is
        // written during the wait, so a flush never falls due just as the token comes back.
        if (this.store.outboxSize() > 0 && wakeAt - lastFlush >= FLUSH_INTERVAL_MS) {
          await this.flushOutbox();
          lastFlush = Date.now();
        }
        await this.sleepUntil(wakeAt, inFlight);
        continue;
      }
      // Read in the same synchronous step as its id: nothing can have changed the row in between.
      const next = this.store.work(nextId)!;
      claimed.add(next.delivery_id);
      if (now + endpoint.timeoutMs + WATCHDOG_MARGIN_MS > watchdogAt) {
        // Re-armed with headroom so a busy drain writes the alarm every few seconds, not per attempt.
        watchdogAt = now + endpoint.timeoutMs + WATCHDOG_MARGIN_MS + WATCHDOG_HEADROOM_MS;
        await this.ctx.storage.setAlarm(watchdogAt);
      }
      this.inFlightNow++;
      const p: Promise<void> = this.attemptOne(endpoint, next, now)
        .then(
          () => {
            claimed.delete(next.delivery_id);
          },
          // Left claimed for the rest of this run: a row whose outcome cannot be stored must not be retried
          // in a tight loop; it is still queued, so the next run picks it up.
          (err) => console.error(JSON.stringify({ level: "error", msg: "attempt outcome not stored", error: String(err) })),
        )
        .finally(() => {
          this.inFlightNow--;
          inFlight.delete(p);
        });
      inFlight.add(p);
    }
  }

  private async attemptOne(endpoint: OpenedEndpoint, row: WorkRow, decidedAt: number): Promise<void> {
    const attempt = row.attempts + 1;
    const startedAt = Date.now();
    this.sendTimes.push(startedAt);
    if (this.sendTimes.length > SEND_TIMES_KEPT) this.sendTimes.shift();
    const attemptId = await derivedId("att", row.delivery_id, String(attempt));
    let result: AttemptResult;
    try {
      const headers = await buildHeaders(
        {
          eventId: row.event_id,
          eventType: row.event_type,
          ownerId: row.owner_id,
          deliveryId: row.delivery_id,
          attempt,
          payload: row.payload,
        },
        signingSecrets(endpoint, startedAt),
        endpoint.auth,
        startedAt,
      );
      this.limiterSent(endpoint.rateLimit, decidedAt, Date.now());
      result = await sendAttempt({ url: endpoint.url, body: row.payload, headers, timeoutMs: endpoint.timeoutMs });
    } catch (err) {
      // Building the request failed (bad secret, bad URL): a failed attempt, never a lost delivery.
      result = { startedAt, durationMs: Date.now() - startedAt, statusCode: null, error: `network: ${String(err)}`, responseBody: null, retryAfter: null };
    }
    const finishedAt = Date.now();
    const retryAfterS = parseRetryAfter(result.retryAfter, finishedAt);
    const cls = classifyAttempt(result, retryAfterS);
    const retryMsg = this.recordOutcome(endpoint, row, attempt, attemptId, result, cls, retryAfterS, finishedAt);
    if (retryMsg) await this.sendRetry(retryMsg.msg, retryMsg.delaySeconds, attempt);
  }

  /**
   * Records one attempt's outcome in one storage transaction: the work row's new state, the attempt and
   * status writes for D1 (outbox), the endpoint's failure counters, pause and disable. Returns the retry
   * message to send when another attempt is scheduled.
   */
  private recordOutcome(
    endpoint: OpenedEndpoint,
    row: WorkRow,
    attempt: number,
    attemptId: string,
    result: AttemptResult,
    cls: Classification,
    retryAfterS: number | null,
    now: number,
  ): { msg: RetryQueueMessage; delaySeconds: number } | null {
    return this.ctx.storage.transactionSync(() => {
      const attemptRow: AttemptRow = {
        id: attemptId,
        deliveryId: row.delivery_id,
        endpointId: endpoint.id,
        attempt,
        startedAt: result.startedAt,
        durationMs: result.durationMs,
        statusCode: result.statusCode,
        error: result.error,
        responseBody: result.responseBody,
      };
      const ops: OutboxOp[] = [{ t: "attempt", row: attemptRow }];
      const attemptsInRun = row.attempts_in_run + 1;
      const last = {
        attempts: attempt,
        attemptsInRun,
        lastStatusCode: result.statusCode,
        lastError: result.error,
        lastDurationMs: result.durationMs,
        updatedAt: now,
      };

      // Endpoint health.
      // Read once: the stored text also decides below whether the counters need writing.
      const previous = this.store.getMeta("counters");
      const counters = previous ? (JSON.parse(previous) as FailureCounters) : endpoint.counters;
      let nextCounters: FailureCounters;
      let disable = null;
      if (cls.success) {
        nextCounters = afterSuccess(counters);
      } else {
        const cfg = loadConfig(this.env);
        const u = afterFailure(counters, now, { disableAfter: cfg.failureDisableAfter, disableMinSeconds: cfg.failureDisableMinSeconds }, cls.disableEndpoint);
        nextCounters = u.counters;
        disable = u.disable;
      }
      // A success on a healthy endpoint leaves the counters as they were: no row is rewritten for it.
      const storedCounters = JSON.stringify(nextCounters);
      if (storedCounters !== previous) this.store.setMeta("counters", storedCounters);
      ops.push({
        t: "endpoint",
        id: endpoint.id,
        changes: { ...nextCounters, lastStatusCode: result.statusCode, lastError: result.error, lastAttemptAt: now },
      });
      if (disable) {
        ops.push({ t: "disable", id: endpoint.id, ownerId: endpoint.ownerId, reason: disable, at: now });
        this.markDisabled();
      }
      if (cls.pauseSeconds !== null) {
        const pauseMs = Math.min(cls.pauseSeconds, endpoint.retry.max_delay_s) * 1000;
        this.store.setMeta("pause_until", String(Math.max(this.pausedUntil(), now + pauseMs)));
        // The receiver asked for quiet: no tokens accrue during the pause, so it does not end in a burst.
        this.markLimiterWaiting(endpoint.rateLimit, now);
      } else if (result.statusCode === 429) {
        // 429 without a usable Retry-After: halve the effective rate, then recover gradually (rate-limit.ts).
        this.saveLimiter(onThrottled(this.limiterOrInitial(endpoint.rateLimit, now), endpoint.rateLimit, now, result.startedAt, observedRate(this.sendTimes, now)));
      }

      // The delivery.
      if (cls.success) {
        ops.push(this.finishWork(row.delivery_id, attempt, "succeeded", { ...last, status: "succeeded", nextAttemptAt: null, completedAt: now }));
        this.store.pushOutbox(ops, OUTBOX_CHUNK);
        return null;
      }
      const delay = cls.disableEndpoint
        ? null
        : nextRetryDelaySeconds({ policy: endpoint.retry, attemptsInRun, random: Math.random, retryAfterSeconds: retryAfterS });
      if (delay === null) {
        ops.push(this.finishWork(row.delivery_id, attempt, "failed", { ...last, status: "failed", nextAttemptAt: null, completedAt: now }));
        this.store.pushOutbox(ops, OUTBOX_CHUNK);
        return null;
      }
      const dueAt = now + Math.round(delay * 1000);
      this.store.markRetrySend(row.delivery_id, attempt, attemptsInRun, dueAt);
      this.store.remember(row.delivery_id, attempt, "retrying", now);
      ops.push({ t: "delivery", id: row.delivery_id, changes: { ...last, status: "retrying", nextAttemptAt: dueAt } });
      this.store.pushOutbox(ops, OUTBOX_CHUNK);
      return {
        msg: { kind: "retry", delivery_id: row.delivery_id, endpoint_id: endpoint.id, due_at: dueAt, attempts: attempt },
        delaySeconds: retryQueueDelaySeconds(dueAt, now),
      };
    });
  }

  /** Hands a retry to the retries queue; the work row goes only once the send resolved. */
  private async sendRetry(msg: RetryQueueMessage, delaySeconds: number, attempts: number): Promise<void> {
    try {
      await this.env.RETRIES_QUEUE.send(msg, { delaySeconds });
    } catch (err) {
      // Stays in retry_send: the next run sends it again (scheduleNext arms an alarm for it).
      console.error(JSON.stringify({ level: "error", msg: "retry send failed", delivery_id: msg.delivery_id, error: String(err) }));
      this.store.setMeta("flush_failed_at", String(Date.now()));
      return;
    }
    this.store.deleteSentRetry(msg.delivery_id, attempts);
  }

  /** Retries whose queue send did not go through (send failed, or the object died before it resolved). */
  private async sendPendingRetries(): Promise<void> {
    const rows = this.store.unsentRetries(100);
    const endpointId = this.store.getMeta("endpoint_id") ?? "";
    for (const row of rows) {
      const delaySeconds = retryQueueDelaySeconds(row.due_at, Date.now());
      const msg: RetryQueueMessage = { kind: "retry", delivery_id: row.delivery_id, endpoint_id: endpointId, due_at: row.due_at, attempts: row.attempts };
      await this.sendRetry(msg, delaySeconds, row.attempts);
    }
  }

  /** Ends every piece of work without attempting it: `held` (endpoint disabled) or `failed` (endpoint deleted). */
  private finishAll(status: "held" | "failed", error: string | null): void {
    const now = Date.now();
    for (let guard = 0; guard < 1000; guard++) {
      const rows = this.store.anyWork(200);
      if (rows.length === 0) return;
      this.ctx.storage.transactionSync(() => {
        const ops = rows.map((row) =>
          this.finishWork(row.delivery_id, row.attempts, status, {
            status,
            nextAttemptAt: null,
            updatedAt: now,
            ...(status === "failed" ? { lastError: error, completedAt: now } : {}),
          }),
        );
        this.store.pushOutbox(ops, OUTBOX_CHUNK);
      });
    }
  }

  /** Ends the work in storage; returns the delivery's D1 write for the caller's outbox row. */
  private finishWork(deliveryId: string, attempts: number, status: string, changes: DeliveryChanges): OutboxOp {
    this.store.deleteWork(deliveryId);
    this.store.remember(deliveryId, attempts, status, Date.now());
    return { t: "delivery", id: deliveryId, changes };
  }

  // --- Outbox ------------------------------------------------------------------------------------------

  /** Applies the outbox to D1, one db.batch per chunk. Rows are deleted only after their batch committed. */
  private async flushOutbox(): Promise<boolean> {
    const db = getDb(this.env.DB);
    for (let i = 0; i < OUTBOX_MAX_CHUNKS_PER_RUN; i++) {
      const rows = this.store.outboxChunk(OUTBOX_CHUNK);
      if (rows.length === 0) return true;
      const statements = outboxStatements(db, rows.flatMap((r) => r.ops));
      try {
        if (statements.length > 0) await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
      } catch (err) {
        if (!(await this.d1Reachable())) {
          console.error(JSON.stringify({ level: "error", msg: "outbox flush failed; kept for the next run", error: String(err) }));
          this.store.setMeta("flush_failed_at", String(Date.now()));
          return false;
        }
        // D1 is up, so one op in this chunk may be refused on its own: apply them one by one so a single bad
        // op can never stall every later write. Refused ops are parked (kept, visible), not dropped.
        if (await this.flushOneByOne(rows)) continue;
        // A write failed for a reason that may pass (not a refusal of that op): keep the rest, in order.
        this.store.setMeta("flush_failed_at", String(Date.now()));
        return false;
      }
      this.store.deleteOutboxThrough(rows[rows.length - 1]!.seq);
    }
    return this.store.outboxSize() === 0;
  }

  private async d1Reachable(): Promise<boolean> {
    try {
      await this.env.DB.prepare("SELECT 1").first();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Returns false when it stopped at a write that failed for a reason that may pass (that op and later ones
   * stay; ops of its row applied before it may be applied again, which changes nothing: every op is idempotent).
   */
  private async flushOneByOne(rows: OutboxRow[]): Promise<boolean> {
    const db = getDb(this.env.DB);
    for (const row of rows) {
      for (const [index, op] of row.ops.entries()) {
        const statements = outboxStatements(db, [op]);
        try {
          if (statements.length > 0) await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
        } catch (err) {
          if (!(await this.d1Reachable())) throw err;
          // Only an op D1 refuses for good is parked (parked ops are never re-applied): a transient write
          // failure (overloaded, timeout, lost connection) while reads work must not strand a delivery's status.
          if (!refusedForGood(err)) {
            console.error(JSON.stringify({ level: "error", msg: "outbox write failed; kept for the next run", error: String(err) }));
            return false;
          }
          console.error(JSON.stringify({ level: "error", msg: "outbox op refused by D1; parked", op: JSON.stringify(op).slice(0, 500), error: String(err) }));
          // Parking also drops the row's ops up to this one (the last op of a row takes the row with it).
          this.ctx.storage.transactionSync(() => this.store.parkOutboxOp(row, index, String(err), Date.now()));
          continue;
        }
        if (index === row.ops.length - 1) this.store.deleteOutbox(row.seq);
      }
    }
    return true;
  }

  // --- Endpoint snapshot -------------------------------------------------------------------------------

  /** The stored snapshot, or a fresh one from D1 (after configChanged). null when D1 cannot be read. */
  private async loadSnapshot(): Promise<SnapshotState | null> {
    const stored = this.store.getMeta("snapshot");
    const ownerId = this.store.getMeta("owner_id");
    let version: number | null = null;
    if (ownerId) {
      try {
        // The owner's config version moves with every endpoint change: a missed configChanged() call
        // (it is best effort) still leads to a reload here, at the start of the next run.
        version = (await readConfigVersions(getDb(this.env.DB), [ownerId])).get(ownerId) ?? 0;
      } catch {
        version = null; // D1 unreachable: keep using the stored snapshot if there is one.
      }
    }
    if (stored) {
      const state = JSON.parse(stored) as SnapshotState;
      const storedVersion = this.store.getMeta("config_version");
      if (state.kind === "deleted" || version === null || String(version) === storedVersion) return state;
    }
    const endpointId = this.store.getMeta("endpoint_id");
    if (!endpointId) return { kind: "deleted" };
    let snap: EndpointSnapshot | null;
    try {
      snap = await readEndpointSnapshot(this.env, endpointId);
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "endpoint config unreadable", endpoint_id: endpointId, error: String(err) }));
      this.store.setMeta("flush_failed_at", String(Date.now()));
      return null;
    }
    const state: SnapshotState = snap ? { kind: "endpoint", snap } : { kind: "deleted" };
    // D1's counters win unless this object holds newer ones it has not flushed yet.
    const unflushed = this.store.outboxSize() > 0;
    if (snap && !unflushed) this.store.setMeta("counters", JSON.stringify(snap.counters));
    this.store.setMeta("snapshot", JSON.stringify(state));
    // The version read before the row: a change after that read moves it again and reloads next run.
    if (version !== null) this.store.setMeta("config_version", String(version));
    this.opened = null;
    return state;
  }

  private currentSnapshot(): EndpointSnapshot | null {
    const stored = this.store.getMeta("snapshot");
    if (!stored) return null;
    const state = JSON.parse(stored) as SnapshotState;
    return state.kind === "endpoint" ? state.snap : null;
  }

  private async openEndpoint(snap: EndpointSnapshot): Promise<OpenedEndpoint> {
    if (!this.opened || this.opened.id !== snap.id) this.opened = await openSnapshot(this.env, snap);
    return this.opened;
  }

  private markDisabled(): void {
    const snap = this.currentSnapshot();
    if (!snap) return;
    snap.status = "disabled";
    this.store.setMeta("snapshot", JSON.stringify({ kind: "endpoint", snap } satisfies SnapshotState));
    if (this.opened) this.opened.status = "disabled";
  }

  // --- Rate limit, pause, alarm ------------------------------------------------------------------------

  private limiterState(): LimiterState | null {
    const stored = this.store.getMeta("limiter");
    return stored ? (JSON.parse(stored) as LimiterState) : null;
  }

  private limiterOrInitial(limit: RateLimitConfig | null, now: number): LimiterState {
    return this.limiterState() ?? initialState(limit, now);
  }

  private saveLimiter(state: LimiterState): void {
    this.store.setMeta("limiter", JSON.stringify(state));
  }

  /** The limiter state is stored on every take: a restarted object must not get a fresh burst. */
  private takeToken(limit: RateLimitConfig | null, now: number): { ok: true } | { ok: false; waitMs: number } {
    const stored = this.limiterState();
    // Unlimited and never throttled: nothing to count, nothing to store.
    if (!limit && !stored?.backoff) return { ok: true };
    const r = takeToken(stored ?? initialState(limit, now), limit, now);
    this.saveLimiter(r.state);
    return r.ok ? { ok: true } : { ok: false, waitMs: r.waitMs };
  }

  /** The limit holds for sends, not decisions: a start counts from when the request goes out (rate-limit.ts onSent). */
  private limiterSent(limit: RateLimitConfig | null, decidedAt: number, sentAt: number): void {
    const stored = this.limiterState();
    if (stored && sentAt > decidedAt) this.saveLimiter(onSent(stored, limit, decidedAt, sentAt));
  }

  private markLimiterWaiting(limit: RateLimitConfig | null, now: number): void {
    const stored = this.limiterState();
    if (!limit && !stored?.backoff) return;
    const next = markWaiting(stored ?? initialState(limit, now), limit, now);
    if (next.holdCap !== stored?.holdCap) this.saveLimiter(next);
  }

  /** Sleeps until `at`, or until an attempt in flight ends or configChanged() wakes the drain. */
  private async sleepUntil(at: number, inFlight: Set<Promise<void>>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const slept = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, at - Date.now()));
      this.wake = resolve;
    });
    try {
      await Promise.race([slept, ...inFlight]);
    } finally {
      clearTimeout(timer);
      this.wake = null;
    }
  }

  private pausedUntil(): number {
    const v = this.store.getMeta("pause_until");
    return v ? Number(v) : 0;
  }

  /**
   * Arms the single alarm for the earliest thing to do: due work (not before a pause ends or a token is
   * back), unsent retries, an unflushed outbox. Deletes it when there is nothing.
   */
  private async scheduleNext(): Promise<void> {
    const now = Date.now();
    const candidates: number[] = [];
    const due = this.store.earliestQueuedDue();
    if (due !== null) {
      // The token time follows the current snapshot's limit: a changed limit moves it at once.
      const snap = this.currentSnapshot();
      const limiter = this.limiterState();
      const tokenAt = snap && limiter ? tokenReadyAt(limiter, snap.rateLimit, now) : 0;
      candidates.push(Math.max(due, this.pausedUntil(), tokenAt));
    }
    const unsent = this.store.unsentRetryCount();
    const outbox = this.store.outboxSize();
    const failedAt = Number(this.store.getMeta("flush_failed_at") ?? 0);
    const ioRetryAt = now - failedAt < RETRY_IO_MS ? failedAt + RETRY_IO_MS : now;
    if (unsent > 0 || outbox > 0) candidates.push(ioRetryAt);
    if (due !== null && this.store.getMeta("snapshot") === null) candidates.push(Math.max(now, ioRetryAt));
    if (candidates.length === 0) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    // After a D1, queue or config failure, nothing runs again before the back-off has passed.
    await this.ctx.storage.setAlarm(Math.max(now, ioRetryAt, Math.min(...candidates)));
  }

}

/**
 * Whether D1 refused an op for good: SQLite constraint, type or size errors (the same op fails every time).
 * Looks through wrapped errors (drizzle puts D1's own error in `cause`).
 */
export function refusedForGood(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const text = e instanceof Error ? e.message : String(e);
    if (/SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)|constraint failed|too big|datatype mismatch/i.test(text)) return true;
  }
  return false;
}
