// EndpointDO: the only place that talks to an endpoint. One object per endpoint holds its in-flight work —
// new deliveries in memory (their events in history make them durable: fresh-work.ts, recovery.ts), retries,
// held and overflow work in SQLite rows — drains due work from a single alarm (bounded concurrency, rate
// limit, pause on Retry-After), keeps retries until they are due, and hands finished deliveries to history.
import { DurableObject } from "cloudflare:workers";
import { loadConfig } from "../config";
import { deliveryEndpointId } from "../domain/ids";
import type { Env } from "../env";
import { findDeliveries } from "../history/delivery-history";
import type { DeliveryRecord } from "../history/records";
import { count, instrumentEnv, instrumentSql } from "../observability/counters";
import { classifyAttempt, type AttemptResult } from "./classify";
import type { DeliveryWork } from "./contracts";
import { attemptRecord, finalRecord, inFlightRecord } from "./delivery-record";
import { makeAttempt } from "./attempt";
import { AttemptTimeouts } from "./attempt-timeouts";
import { DueIndex } from "./due-index";
import { drainDue, FLUSH_AT_SIZE, FLUSH_INTERVAL_MS, WATCHDOG_MARGIN_MS, type DrainParts } from "./drain";
import { openSnapshot, type OpenedEndpoint } from "./endpoint-config";
import { EndpointHealth } from "./endpoint-health";
import { EndpointStore, type WorkRow, type WorkSummary } from "./endpoint-store";
import { FinishedLog } from "./finished-log";
import { AlarmKeeper } from "./alarm-keeper";
import { FreshWork } from "./fresh-work";
import type { EndpointInspection } from "./inspection";
import { InFlightWork } from "./inflight-work";
import { Unattempted } from "./unattempted";
import { Wakeup } from "./wakeup";
import { RecoveryMark } from "./recovery";
import { EndpointLimiter } from "./endpoint-limiter";
import { SnapshotKeeper } from "./snapshot-keeper";
import { CLOSE_ENDPOINT_DELETED, CLOSE_KEY_REVOKED, RelayChannel } from "./relay-channel";
import { nextRetryDelaySeconds, parseRetryAfter } from "./retry-policy";

/** Stop starting new attempts after this long in one alarm run; the alarm re-arms for the rest. */
const RUN_BUDGET_MS = 15_000;
/** The watchdog armed when a run starts, before any attempt's timeout is known (drain.ts keeps it ahead). */
const WATCHDOG_INITIAL_MS = 30_000 + WATCHDOG_MARGIN_MS;
/**
 * Work due within this long is started by a timer instead of an alarm write, while the watchdog alarm (armed
 * further out) would bring the object back should it die first.
 */
const TIMER_MAX_MS = 2_000;
/** Back-off after a history, D1 or config failure: the work stays in storage and is retried. */
const RETRY_IO_MS = 5_000;
/** Ids of recovered deliveries kept to recognise their late handoffs. */
const MAX_RECOVERED_IDS = 10_000;
export type { EndpointInspection } from "./inspection";
export const DELETED_ENDPOINT_ERROR = "endpoint deleted: its pending deliveries cannot be attempted";

export class EndpointDO extends DurableObject<Env> {
  private readonly store: EndpointStore;
  private readonly due: DueIndex;
  private readonly finished: FinishedLog;
  private readonly snapshot: SnapshotKeeper;
  private readonly health: EndpointHealth;
  private readonly limiter: EndpointLimiter;
  private readonly fresh = new FreshWork();
  private readonly alarms: AlarmKeeper;
  private readonly work: InFlightWork;
  private readonly unattempted: Unattempted;
  private readonly mark: RecoveryMark;
  /** Deliveries the recovery scan stored as rows: a late handoff of the same delivery must not be kept fresh too. */
  private readonly recovered = new Set<string>();
  /** relay: `hookrelay listen` sockets and their pending replies (relay-channel.ts). */
  private readonly relay: RelayChannel;
  /** One timer for every attempt's timeout. */
  private readonly timeouts = new AttemptTimeouts();
  private readonly busy = new Set<string>();
  private readonly drainParts: DrainParts;
  private readonly arrivals = new Wakeup();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private draining = false;
  private lastActivity = Date.now();
  /** When the recovery mark is to be looked at again (cleared after an idle spell), or null. */
  private markCheckAt: number | null = null;
  private ioFailedAt = 0;
  /** Held rows may be waiting to be logged (true at start: rows from before a restart are checked once). */
  private heldWaiting = true;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, instrumentEnv(env));
    const tx = (fn: () => void) => ctx.storage.transactionSync(fn);
    this.store = new EndpointStore(instrumentSql(ctx.storage.sql, "EndpointDO"), tx);
    this.due = new DueIndex((after, limit) => this.store.duePage(after, limit));
    this.finished = new FinishedLog(this.env, this.store, (fn) => this.store.transaction(fn), (id) => this.fresh.settle(id));
    this.mark = new RecoveryMark(this.store, Date.now());
    this.alarms = new AlarmKeeper(ctx.storage);
    this.work = new InFlightWork(this.store, this.due, this.fresh);
    this.unattempted = new Unattempted(this.store, this.due, this.fresh, this.finished, this.busy);
    this.snapshot = new SnapshotKeeper(this.env, this.store);
    this.health = new EndpointHealth(this.env, this.store);
    this.limiter = new EndpointLimiter(this.store);
    this.relay = new RelayChannel(ctx);
    this.drainParts = {
      work: this.work, finished: this.finished, limiter: this.limiter, snapshot: this.snapshot, relay: this.relay, alarms: this.alarms,
      fresh: this.fresh, due: this.due, busy: this.busy, arrivals: this.arrivals, attempt: (endpoint, row, decidedAt, fresh) => this.attemptOne(endpoint, row, decidedAt, fresh),
    };
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
    this.lastActivity = now;
    let queued = 0;
    const restarted = (id: string) => this.finished.restarted(id);
    const inFlight = (id: string) => this.busy.has(id);
    this.store.transaction(() => {
      for (const w of items) {
        this.snapshot.remember(w.endpoint_id, w.owner_id);
        if (known.has(w.delivery_id)) continue; // already finished: a redelivered message
        // While a recovery scan is due, and for deliveries it stored, new work goes to rows (INSERT OR IGNORE).
        const keepFresh = !this.mark.scanPending && !this.recovered.has(w.delivery_id);
        const added = this.work.admit(w, now, { keepFresh, restarted, inFlight });
        // Its event is in history, listing this endpoint: the recovery mark covers it while it is in memory.
        if (added === "fresh") this.mark.cover(w.accepted_at);
        if (added === "held") this.heldWaiting = true;
        if (added !== null) queued++;
      }
    });
    if (this.draining) this.arrivals.notify();
    else await this.scheduleNext({ startNow: true });
    return { queued };
  }

  /** Ids among `maybe_seen` items that history already holds (and this object does not). */
  private async alreadyFinished(items: DeliveryWork[]): Promise<Set<string>> {
    const candidates = items.filter((w) => w.maybe_seen && !w.manual).map((w) => w.delivery_id);
    if (candidates.length === 0) return new Set();
    const here = new Set(this.work.rows(candidates).map((r) => r.delivery_id));
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
    const counts = this.work.counts();
    return {
      work: counts.total,
      unlogged: this.finished.size,
      pauseUntil: this.limiter.pausedUntil() || null,
      nextAlarm: await this.ctx.storage.getAlarm(),
      pending: counts.queued,
      inFlight: this.busy.size,
      limiter: this.limiter.state(),
      health: this.health.current(),
      recovering: this.mark.scanPending,
      memory: {
        dueKeys: this.due.size, unlogged: this.finished.size, busy: this.busy.size, sendTimes: this.limiter.sendTimesKept,
        fresh: this.fresh.size, freshBytes: this.fresh.payloadBytes, recovered: this.recovered.size,
      },
    };
  }

  /** In-flight deliveries newest first (payloads left out), for lists beside history. */
  async listInFlight(beforeId: string | undefined, limit: number): Promise<DeliveryRecord[]> {
    count("do_requests");
    const endpointId = this.snapshot.endpointId() ?? "";
    return this.work.list(beforeId, limit).map((row) => this.viewOf(row, endpointId));
  }

  /** In-flight deliveries by id (absent: not here). */
  async getInFlight(ids: string[]): Promise<DeliveryRecord[]> {
    count("do_requests");
    return this.work.rows(ids).map((row) => this.viewOf(row, deliveryEndpointId(row.delivery_id) ?? ""));
  }

  /** A delivery here as the API shows it: its outcome when it has one waiting for history, else in flight. */
  private viewOf(row: WorkSummary, endpointId: string): DeliveryRecord {
    return this.finished.record(row.delivery_id) ?? this.relay.shown(inFlightRecord(row, endpointId), this.snapshot.current());
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
    this.alarms.fired();
    // The watchdog came due while this object is alive and draining: it only needs to be armed again.
    if (this.draining) return this.alarms.arm(Date.now() + WATCHDOG_INITIAL_MS);
    await this.run();
  }

  /**
   * One run: recover lost fresh work, write waiting outcomes, drain what is due, log held work. Started by
   * the alarm, or straight from enqueue() when the object is idle and new work is due now (no alarm write
   * per delivery: the watchdog armed by an earlier run usually still covers this one).
   */
  private async run(opts: { forNewWork?: boolean } = {}): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const started = Date.now();
    try {
      await this.alarms.ensureWatchdog(started, 0, WATCHDOG_INITIAL_MS);
      if (!(await this.recoverLost())) return this.ioFailed();
      // A run started for new work does not wait for a history write first unless one is due (the drain
      // writes while attempting); an alarm or timer run writes everything that waits.
      if (!(await this.flushAll({ onlyIfDue: opts.forNewWork }))) return;
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
      // Fresh work that has waited too long becomes rows, so the recovery mark can move on.
      const now = Date.now();
      this.work.storeRows(this.fresh.takeStale(now), now);
      if (this.heldWaiting) await this.logHeld();
      await this.flushAll({ onlyIfDue: true });
      this.markCheckAt = this.mark.settle(this.fresh.oldestAcceptedAt(), this.lastActivity, Date.now());
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
  private async flushAll(opts: { onlyIfDue?: boolean } = {}): Promise<boolean> {
    const since = this.finished.waitingSince();
    const due = !opts.onlyIfDue || this.finished.size >= FLUSH_AT_SIZE || (since !== null && Date.now() - since >= FLUSH_INTERVAL_MS);
    const ok = (!due || (await this.finished.flush())) && (await this.health.flush(this.snapshot.endpointId(), this.snapshot.ownerId()));
    if (!ok) this.ioFailed();
    return ok;
  }

  private ioFailed(): void {
    this.ioFailedAt = Date.now();
  }

  /** Runs due work until none is due, the limit says wait, or the budget ends (drain.ts). */
  private async drain(endpoint: OpenedEndpoint, deadline: number): Promise<void> {
    await drainDue(this.drainParts, endpoint, deadline);
    this.lastActivity = Date.now();
  }

  /** After a restart with the recovery mark set: stores as rows the fresh deliveries an earlier instance lost. */
  private async recoverLost(): Promise<boolean> {
    const isHere = (id: string) => this.busy.has(id) || this.finished.has(id) || this.work.has(id);
    return this.mark.recover(this.env, { endpointId: this.snapshot.endpointId(), ownerId: this.snapshot.ownerId() }, isHere, (lost) => {
      this.work.storeRows(lost, Date.now());
      for (const w of lost) this.recovered.add(w.delivery_id);
      // Bounded: a handoff arriving after this many recoveries may be attempted twice (at least once holds).
      if (this.recovered.size > MAX_RECOVERED_IDS) this.recovered.clear();
    });
  }

  private async attemptOne(endpoint: OpenedEndpoint, row: WorkRow, decidedAt: number, fresh: boolean): Promise<void> {
    const { result, attempt } = await makeAttempt(endpoint, row, { limiter: this.limiter, decidedAt }, this.relay, this.timeouts);
    this.recordOutcome(endpoint, row, attempt, result, fresh);
  }

  /**
   * One attempt's consequences, in one storage transaction: the endpoint's health, pause and back-off, and
   * the delivery's next step — finished (waits in memory for history; no row written) or a retry (one row:
   * updated, or inserted for fresh work, which then counts as settled).
   */
  private recordOutcome(endpoint: OpenedEndpoint, row: WorkRow, attempt: ReturnType<typeof attemptRecord>, result: AttemptResult, fresh: boolean): void {
    const now = Date.now();
    const retryAfterS = parseRetryAfter(result.retryAfter, now);
    const cls = classifyAttempt(result, retryAfterS);
    // A manual retry came in meanwhile: this outcome is still recorded, and the restarted run goes on from it.
    const restarted = this.work.takeRestart(row.delivery_id);
    // Most outcomes — a first attempt that succeeded on a healthy endpoint — write no storage at all: they
    // skip the transaction (its begin and commit were ~5 % of the CPU of a fanout).
    const memoryOnly = cls.success && fresh && !restarted && this.health.successWritesNothing();
    const apply = () => {
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
        this.finished.add(finalRecord(row, endpoint.id, cls.success ? "succeeded" : "failed", now, { attempt }), row.attempts, row.seq, !fresh);
        if (fresh) this.fresh.attempted(row.delivery_id);
        if (restarted) {
          // The outcome still waits for history, as superseded: the row is the live run and is not deleted.
          this.work.resumeRestarted(row, fresh, attempt, now);
          this.finished.restarted(row.delivery_id);
        }
        return;
      }
      if (restarted) this.work.resumeRestarted(row, fresh, attempt, now);
      else this.work.scheduleRetry(row, fresh, { attempt, attemptsInRun, dueAt: now + Math.round(delay * 1000) }, now);
    };
    if (memoryOnly) apply();
    else this.store.transaction(apply);
  }

  /** Ends every piece of work without attempting it: `held` (endpoint disabled) or `failed` (endpoint deleted). */
  private async finishAll(status: "held" | "failed", error: string | null): Promise<void> {
    if (!(await this.unattempted.finishAll(this.snapshot.endpointId() ?? "", status, error))) this.ioFailed();
  }

  /** Deliveries handed over as `held` (their endpoint was disabled when routed): logged without an attempt. */
  private async logHeld(): Promise<void> {
    const { done, ok } = await this.unattempted.logHeld(this.snapshot.endpointId() ?? "");
    if (done) this.heldWaiting = false;
    if (!ok) this.ioFailed();
  }

  // --- Alarm scheduling --------------------------------------------------------------------------------

  /**
   * Arms the single alarm for the earliest thing to do: due work (not before a pause ends or the limit allows),
   * held rows or outcomes to log, a health write. Deletes it when there is nothing. Reads memory only (and the
   * due order's storage page when it runs dry): it runs on every enqueue.
   */
  private async scheduleNext(opts: { startNow?: boolean } = {}): Promise<void> {
    const now = Date.now();
    const alarm = await this.alarms.current();
    const candidates: number[] = [];
    const next = this.work.next((id) => this.busy.has(id) || this.finished.has(id));
    // relay: a relay endpoint's work waits (held) while no listener is connected; a connecting one re-runs this.
    if (next && this.relay.mayAttempt(this.snapshot.current())) candidates.push(Math.max(next.due, this.limiter.pausedUntil(), this.limiter.readyAt(this.snapshot.current()?.rateLimit ?? null, now)));
    if (this.heldWaiting || this.health.pending() || this.mark.scanPending) candidates.push(now);
    // Outcomes of single deliveries are written together, within FLUSH_INTERVAL_MS: one history write per
    // batch instead of one per delivery when work arrives a little at a time.
    const waitingSince = this.finished.waitingSince();
    if (waitingSince !== null) candidates.push(waitingSince + FLUSH_INTERVAL_MS);
    if (this.markCheckAt !== null && alarm === null) candidates.push(this.markCheckAt);
    const staleAt = this.fresh.nextStaleAt();
    if (staleAt !== null) candidates.push(staleAt);
    const ioRetryAt = now - this.ioFailedAt < RETRY_IO_MS ? this.ioFailedAt + RETRY_IO_MS : now;
    if (candidates.length === 0) {
      // Nothing to do: an armed watchdog is left to fire once and find nothing (cheaper than deleting it and
      // arming it again for the next delivery), unless it is the only wake-up the recovery mark has.
      if (alarm === null && this.markCheckAt !== null) await this.alarms.arm(this.markCheckAt);
      return;
    }
    const at = Math.max(ioRetryAt, Math.min(...candidates));
    if (opts.startNow && at <= now) {
      void this.run({ forNewWork: true });
      return;
    }
    if (at - now <= TIMER_MAX_MS && alarm !== null && alarm >= at) return this.runAt(at);
    await this.alarms.armAt(at);
  }

  /** A run at `at` by timer (replacing an earlier timer): no storage write, the watchdog alarm still stands. */
  private runAt(at: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, Math.max(0, at - Date.now()));
  }
}
