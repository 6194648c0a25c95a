// The SQL migrations and drizzle's snapshot of them describe src/db/schema.ts: `npm run db:generate` after a
// schema change writes only that change (a snapshot behind the schema would make it repeat old ones).
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "hookrelay-migrations-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("migrations", () => {
  it("drizzle-kit finds no schema change that the migrations do not already make", () => {
    cpSync(join(root, "migrations"), join(work, "migrations"), { recursive: true });
    const config = join(work, "drizzle.config.mjs");
    writeFileSync(
      config,
      `export default ${JSON.stringify({ dialect: "sqlite", schema: relative(work, join(root, "src/db/schema.ts")), out: "./migrations" })};\n`,
    );
    const before = readdirSync(join(work, "migrations")).sort();
    const out = execFileSync(join(root, "node_modules/.bin/drizzle-kit"), ["generate", "--config", config], { cwd: work, encoding: "utf8", timeout: 60_000 });
    expect(out).toContain("No schema changes"); // drizzle-kit's words when the snapshot matches the schema
    expect(readdirSync(join(work, "migrations")).sort()).toEqual(before);
  }, 90_000);
});
