import { describe, expect, it } from "vitest";
// @ts-expect-error plain .mjs script without type declarations
import { banner, createOutputFilter } from "../../scripts/start-output.mjs";

const run = (lines: string[]) => {
  const filter = createOutputFilter();
  return lines.flatMap((l) => filter(l) as string[]);
};

describe("npm start output", () => {
  it("prints wrangler's bindings table once, however often wrangler reloads", () => {
    const table = ["Your Worker has access to the following bindings:", "Binding   Resource", "env.DB    D1", ""];
    const out = run(["⛅️ wrangler", ...table, "⎔ Starting local server...", ...table, "[wrangler:info] Ready", ...table, "after"]);
    expect(out).toEqual(["⛅️ wrangler", ...table, "⎔ Starting local server...", "[wrangler:info] Ready", "after"]);
  });

  it("recognises the header through terminal colour codes", () => {
    const coloured = "\x1b[1mYour Worker has access to the following bindings:\x1b[0m";
    expect(run([coloured, "x", "", coloured, "y", "", "z"])).toEqual([coloured, "x", "", "z"]);
  });

  it("the banner names the URL, dashboard, docs, where the admin key is, and the cron", () => {
    const text = banner({ url: "http://127.0.0.1:8787", devVarsPath: ".dev.vars", adminKey: "hr_admin_x" }) as string;
    for (const part of ["http://127.0.0.1:8787/", "http://127.0.0.1:8787/docs", "ADMIN_API_KEY in .dev.vars", "hr_admin_x", "fires it every minute"]) {
      expect(text).toContain(part);
    }
  });
});
