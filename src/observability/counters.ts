// Per-isolate counters of billable operations (queue messages, DO requests, D1 and DO-SQLite rows), read by the
// benchmark through GET /v1/metrics. In memory only: they restart with the isolate and describe one local workerd.

export const COUNTER_NAMES = [
  /** Queue consumer invocations (each is billed as a Worker invocation). */
  "worker_queue_invocations",
  /** Cron (scheduled) invocations. */
  "worker_scheduled_invocations",
  /** Messages written to any queue (send = 1, sendBatch = its length). */
  "queue_messages_written",
  /** Messages handed to a consumer (a retried message is read again). */
  "queue_messages_read",
  /** Messages acknowledged (deleted) by a consumer. */
  "queue_messages_acked",
  /** Messages a consumer asked to retry. */
  "queue_messages_retried",
  /** RPC calls and fetches received by Durable Objects (count on the callee side). */
  "do_requests",
  /** Alarm invocations of Durable Objects (billed as requests). */
  "do_alarms",
  /** WebSocket messages received by Durable Objects (billed at 20:1 as requests). */
  "do_websocket_messages",
  "do_sql_rows_read",
  "do_sql_rows_written",
  "d1_queries",
  "d1_rows_read",
  "d1_rows_written",
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];

const values = new Map<CounterName, number>(COUNTER_NAMES.map((n) => [n, 0]));
/**
 * Breakdowns of a total by store, named `<total>:<store>` (e.g. `do_sql_rows_written:EndpointDO`). The bench sums
 * every `<store>_rows_written` total generically and reports `:` breakdowns without adding them in again.
 */
const breakdowns = new Map<string, number>();
let since = Date.now();

export function count(name: CounterName, n = 1): void {
  values.set(name, (values.get(name) ?? 0) + n);
}

interface D1Meta {
  rows_read?: number;
  rows_written?: number;
}

/** Counts one D1 result (run/all/first with meta) or the results of a batch. */
export function countD1(result: { meta?: D1Meta } | ReadonlyArray<{ meta?: D1Meta }> | null | undefined): void {
  if (!result) return;
  for (const r of Array.isArray(result) ? result : [result]) {
    count("d1_queries");
    count("d1_rows_read", r.meta?.rows_read ?? 0);
    count("d1_rows_written", r.meta?.rows_written ?? 0);
  }
}

/** Counts a DO SQLite cursor (`ctx.storage.sql.exec(...)`) once it has been consumed. */
export function countSql(cursor: { rowsRead: number; rowsWritten: number }): void {
  count("do_sql_rows_read", cursor.rowsRead);
  count("do_sql_rows_written", cursor.rowsWritten);
}

/**
 * Wraps a D1 binding so every statement run through it is counted (rows read/written from D1's meta). `raw()`
 * returns no meta: its returned rows are counted as read, a lower bound. Batches get the real statements back.
 */
export function instrumentD1(db: D1Database): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => wrap(target.bind(...args));
        if (prop === "run" || prop === "all") {
          return async (...args: unknown[]) => {
            const result = await (target[prop] as (...a: unknown[]) => Promise<D1Result>)(...args);
            countD1(result);
            return result;
          };
        }
        if (prop === "first") {
          // first() hides meta; run it through all() semantics would change behaviour, so count one query.
          return async (...args: unknown[]) => {
            const row = await (target.first as (...a: unknown[]) => Promise<unknown>)(...args);
            count("d1_queries");
            if (row !== null) count("d1_rows_read");
            return row;
          };
        }
        if (prop === "raw") {
          return async (...args: unknown[]) => {
            const rows = await (target.raw as (...a: unknown[]) => Promise<unknown[]>)(...args);
            count("d1_queries");
            count("d1_rows_read", Array.isArray(rows) ? rows.length : 0);
            return rows;
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    real.set(proxy, stmt);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql));
      if (prop === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          const results = await target.batch(stmts.map((s) => real.get(s) ?? s));
          countD1(results);
          return results;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Wraps a queue producer so every message written through it is counted. */
export function instrumentQueue<T>(queue: Queue<T>): Queue<T> {
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === "send") {
        return async (...args: Parameters<Queue<T>["send"]>) => {
          await target.send(...args);
          count("queue_messages_written");
        };
      }
      if (prop === "sendBatch") {
        return async (...args: Parameters<Queue<T>["sendBatch"]>) => {
          await target.sendBatch(...args);
          count("queue_messages_written", [...args[0]].length);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const instrumentedEnvs = new WeakMap<object, object>();

/**
 * The same env with its D1 binding and queue producers counted. Cached per env object, so the wrapped DB is
 * stable (getDb() caches drizzle per binding). Wire once where an env enters: fetch/queue/scheduled, DO constructors.
 */
export function instrumentEnv<E extends object>(env: E): E {
  const cached = instrumentedEnvs.get(env);
  if (cached) return cached as E;
  const wrapped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key === "DB") wrapped[key] = instrumentD1(value as D1Database);
    else if (key.endsWith("_QUEUE")) wrapped[key] = instrumentQueue(value as Queue<unknown>);
  }
  const out = new Proxy(env, {
    get(target, prop, receiver) {
      return typeof prop === "string" && prop in wrapped ? wrapped[prop] : Reflect.get(target, prop, receiver);
    },
  });
  instrumentedEnvs.set(env, out);
  return out;
}

/** Counts a consumer batch: the invocation, the messages read, and each ack (a delete) and retry. */
export function instrumentBatch<B extends MessageBatch>(batch: B): B {
  count("worker_queue_invocations");
  count("queue_messages_read", batch.messages.length);
  const settled = new WeakSet<object>();
  const settle = (m: object, acked: boolean) => {
    if (settled.has(m)) return;
    settled.add(m);
    count(acked ? "queue_messages_acked" : "queue_messages_retried");
  };
  const messages = batch.messages.map(
    (m) =>
      new Proxy(m, {
        get(target, prop) {
          if (prop === "ack") return () => (settle(target, true), target.ack());
          if (prop === "retry") return (...a: Parameters<Message["retry"]>) => (settle(target, false), target.retry(...a));
          const value = Reflect.get(target, prop, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
  );
  return new Proxy(batch, {
    get(target, prop) {
      if (prop === "messages") return messages;
      if (prop === "ackAll") return () => (batch.messages.forEach((m) => settle(m, true)), target.ackAll());
      if (prop === "retryAll") return (...a: Parameters<MessageBatch["retryAll"]>) => (batch.messages.forEach((m) => settle(m, false)), target.retryAll(...a));
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Wraps a DO's `ctx.storage.sql` so rows read/written are counted. A cursor is counted when exec() returns
 * (writes happen there) and again after each method called on it (toArray, one, next…); rows pulled by
 * iterating the cursor with for…of are not seen — a lower bound for such reads. With `store` (e.g. the DO class),
 * the rows are also counted under `do_sql_rows_read:<store>` / `do_sql_rows_written:<store>`, so the bench can
 * say which store wrote them.
 */
export function instrumentSql(sql: SqlStorage, store?: string): SqlStorage {
  const countRows = (read: number, written: number) => {
    count("do_sql_rows_read", read);
    count("do_sql_rows_written", written);
    if (store) {
      breakdowns.set(`do_sql_rows_read:${store}`, (breakdowns.get(`do_sql_rows_read:${store}`) ?? 0) + read);
      breakdowns.set(`do_sql_rows_written:${store}`, (breakdowns.get(`do_sql_rows_written:${store}`) ?? 0) + written);
    }
  };
  return new Proxy(sql, {
    get(target, prop) {
      if (prop === "exec") {
        return (query: string, ...bindings: unknown[]) => {
          const cursor = target.exec(query, ...bindings);
          let read = 0;
          let written = 0;
          const settle = () => {
            countRows(cursor.rowsRead - read, cursor.rowsWritten - written);
            read = cursor.rowsRead;
            written = cursor.rowsWritten;
          };
          settle();
          return new Proxy(cursor, {
            get(c, p) {
              const value = Reflect.get(c, p, c);
              if (typeof value !== "function") return value;
              return (...args: unknown[]) => {
                const out = (value as (...a: unknown[]) => unknown).apply(c, args);
                settle();
                return out;
              };
            },
          });
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export function snapshot(): { since: string; now: string; counters: Record<CounterName, number> } {
  return {
    since: new Date(since).toISOString(),
    now: new Date().toISOString(),
    counters: { ...Object.fromEntries(breakdowns), ...Object.fromEntries(values) } as Record<CounterName, number>,
  };
}

export function resetCounters(): void {
  for (const name of COUNTER_NAMES) values.set(name, 0);
  breakdowns.clear();
  since = Date.now();
}
