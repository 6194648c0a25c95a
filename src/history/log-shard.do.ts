// LogShard: one Durable Object per history shard (shards.ts names them). Holds one owner's events of one day,
// or one endpoint's finished deliveries of one day — a bounded slice, so no object grows with the deployment.
// On its first write it enters itself in the D1 directory (history_shards), which lists and retention read.
import { DurableObject } from "cloudflare:workers";
import { getDb } from "../db/client";
import type { Env } from "../env";
import { count, instrumentSql } from "../observability/counters";
import { DeliveryStore, type DeliveryListQuery } from "./delivery-store";
import { registerShard } from "./directory";
import { EventStore, type EventListQuery } from "./event-store";
import type { DeliveryRecord, EventRecord } from "./records";
import type { ShardRef } from "./shards";

export class LogShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private eventStore: EventStore | null = null;
  private deliveryStore: DeliveryStore | null = null;
  private registered = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = instrumentSql(ctx.storage.sql, "LogShard");
  }

  private get events(): EventStore {
    return (this.eventStore ??= new EventStore(this.sql));
  }

  private get deliveries(): DeliveryStore {
    return (this.deliveryStore ??= new DeliveryStore(this.sql));
  }

  /** Enters this shard in the directory once (kept in storage so a restart does not write D1 again). */
  private async register(ref: ShardRef): Promise<void> {
    if (this.registered) return;
    this.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
    if (this.sql.exec("SELECT 1 FROM meta WHERE key = 'registered'").toArray().length === 0) {
      // Before the write it announces: a shard is never holding data the directory does not list.
      await registerShard(getDb(this.env.DB), ref, Date.now());
      this.sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('registered', '1')");
    }
    this.registered = true;
  }

  async putEvents(ref: ShardRef, events: EventRecord[]): Promise<{ seen: string[] }> {
    count("do_requests");
    await this.register(ref);
    let seen: string[] = [];
    this.ctx.storage.transactionSync(() => {
      seen = this.events.putRouted(events);
    });
    return { seen };
  }

  async addEventEndpoints(eventId: string, endpointIds: string[]): Promise<void> {
    count("do_requests");
    this.events.addEndpoints(eventId, endpointIds);
  }

  async putLargePayload(ref: ShardRef, event: EventRecord): Promise<void> {
    count("do_requests");
    await this.register(ref);
    this.events.putUnrouted(event);
  }

  async getEvents(ids: string[]): Promise<EventRecord[]> {
    count("do_requests");
    return this.events.get(ids);
  }

  async listEvents(q: EventListQuery) {
    count("do_requests");
    return this.events.list(q);
  }

  async putDeliveries(ref: ShardRef, records: DeliveryRecord[]): Promise<void> {
    count("do_requests");
    await this.register(ref);
    this.ctx.storage.transactionSync(() => this.deliveries.put(records));
  }

  async getDeliveries(ids: string[]): Promise<DeliveryRecord[]> {
    count("do_requests");
    return this.deliveries.get(ids);
  }

  async listDeliveries(q: DeliveryListQuery): Promise<DeliveryRecord[]> {
    count("do_requests");
    return this.deliveries.list(q);
  }

  async countDeliveries(q: Omit<DeliveryListQuery, "limit">): Promise<number> {
    count("do_requests");
    return this.deliveries.count(q);
  }

  async deliveryStats(from: number, until: number) {
    count("do_requests");
    return this.deliveries.stats(from, until);
  }

  /** Retention: the whole shard goes at once (the directory entry is removed by the caller afterwards). */
  async drop(): Promise<void> {
    count("do_requests");
    await this.ctx.storage.deleteAll();
    this.eventStore = null;
    this.deliveryStore = null;
    this.registered = false;
  }
}
