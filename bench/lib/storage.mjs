// Bytes each store holds in the local state dir: D1 and every Durable Object class (one SQLite file per object),
// read from copies of the files with node:sqlite, so the cost phase can state bytes per delivery by store.
// Needs Node ≥ 22.13 (node:sqlite without a flag; `npm run bench` runs the Node 22 from node_modules/.bin).
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let sqlite;
async function loadSqlite() {
  if (sqlite !== undefined) return sqlite;
  try {
    const emit = process.emitWarning;
    process.emitWarning = () => {}; // node:sqlite's ExperimentalWarning would land in the bench's output
    sqlite = await import("node:sqlite");
    process.emitWarning = emit;
  } catch {
    sqlite = null;
  }
  return sqlite;
}

/** { allocated, used } bytes of one SQLite database (file + WAL, copied so the live one is not touched). */
function measureFile(DatabaseSync, path, scratch) {
  const copy = join(scratch, "db.sqlite");
  copyFileSync(path, copy);
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
  else rmSync(`${copy}-wal`, { force: true });
  const db = new DatabaseSync(copy);
  try {
    const pageSize = db.prepare("PRAGMA page_size").get().page_size;
    const pages = db.prepare("PRAGMA page_count").get().page_count - db.prepare("PRAGMA freelist_count").get().freelist_count;
    let used = null;
    try {
      used = db.prepare("SELECT SUM(pgsize - unused) AS b FROM dbstat").get().b ?? 0;
    } catch {
      // dbstat not compiled in: allocated pages only
    }
    return { allocated: pages * pageSize, used };
  } finally {
    db.close();
    rmSync(copy, { force: true });
    rmSync(`${copy}-wal`, { force: true });
  }
}

/**
 * Bytes per store under a wrangler `--persist-to` dir: `d1`, and `do:<Class>` for each Durable Object class
 * (objects: how many databases). → { stores: { name: { allocated, used, objects } } } or { reason }.
 */
export async function storageBytes(persistDir) {
  const mod = await loadSqlite();
  if (!mod) return { stores: null, reason: `node:sqlite not available in Node ${process.version} (needs ≥ 22.13)` };
  const stores = {};
  const scratch = mkdtempSync(join(tmpdir(), "hookrelay-bench-sqlite-"));
  const add = (name, dir) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) {
      if (!f.endsWith(".sqlite") || f === "metadata.sqlite") continue;
      try {
        const m = measureFile(mod.DatabaseSync, join(dir, f), scratch);
        const s = (stores[name] ??= { allocated: 0, used: 0, objects: 0 });
        s.allocated += m.allocated;
        s.used = s.used === null || m.used === null ? null : s.used + m.used;
        s.objects++;
      } catch {
        // a file caught mid-write or removed: left out of this snapshot
      }
    }
  };
  try {
    add("d1", join(persistDir, "v3", "d1", "miniflare-D1DatabaseObject"));
    const doRoot = join(persistDir, "v3", "do");
    if (existsSync(doRoot)) for (const dir of readdirSync(doRoot)) add(`do:${dir.replace(/^[^-]+-/, "")}`, join(doRoot, dir));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { stores };
}

/** Bytes per delivery by store between two storageBytes() snapshots (allocated pages and used bytes). */
export function bytesPerDelivery(before, after, deliveries) {
  if (!before?.stores || !after?.stores) return { by_store: null, reason: before?.reason ?? after?.reason ?? "no storage snapshot" };
  const per = (x) => (x === null ? null : Math.round(x / deliveries));
  const by = {};
  for (const [name, a] of Object.entries(after.stores)) {
    const b = before.stores[name] ?? { allocated: 0, used: 0, objects: 0 };
    by[name] = {
      allocated_bytes: per(a.allocated - b.allocated),
      used_bytes: a.used === null || b.used === null ? null : per(a.used - b.used),
      objects_added: a.objects - b.objects,
    };
  }
  const total = Object.values(by).reduce((s, x) => s + x.allocated_bytes, 0);
  return { by_store: by, total_allocated_bytes: total, note: "SQLite pages in use (allocated) and bytes in them (used), after − before, ÷ deliveries; pages come in 4 KB steps per table and index, so small runs round" };
}
