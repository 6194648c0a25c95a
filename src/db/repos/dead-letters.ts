// Dead letters: queue messages whose consumer gave up, kept in D1 so the API can show and redrive them.
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../client";
import { deadLetters } from "../schema";

export type DeadLetterRow = typeof deadLetters.$inferSelect;

export async function insertDeadLetters(db: Db, rows: DeadLetterRow[]): Promise<void> {
  // 5 bound parameters per row; one statement per row keeps large bodies clear of statement limits.
  if (rows.length === 0) return;
  const statements = rows.map((row) => db.insert(deadLetters).values(row).onConflictDoNothing());
  await db.batch(statements as [(typeof statements)[number], ...typeof statements]);
}

export async function getDeadLetter(db: Db, id: string): Promise<DeadLetterRow | undefined> {
  return db.select().from(deadLetters).where(eq(deadLetters.id, id)).get();
}

export async function listDeadLetters(db: Db, opts: { queue?: string; beforeId?: string; limit: number }): Promise<DeadLetterRow[]> {
  const filters = [];
  if (opts.queue !== undefined) filters.push(eq(deadLetters.queue, opts.queue));
  if (opts.beforeId !== undefined) filters.push(lt(deadLetters.id, opts.beforeId));
  return db
    .select()
    .from(deadLetters)
    .where(and(...filters))
    .orderBy(desc(deadLetters.id))
    .limit(opts.limit)
    .all();
}

export async function markRedriven(db: Db, id: string, at: number): Promise<void> {
  await db.update(deadLetters).set({ redrivenAt: at }).where(eq(deadLetters.id, id));
}
