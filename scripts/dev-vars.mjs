// Creates .dev.vars with fresh local secrets when it is missing; never overrides an existing file.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export function ensureDevVars(root = process.cwd()) {
  const path = resolve(root, ".dev.vars");
  if (existsSync(path)) return { path, created: false, vars: parseDevVars(readFileSync(path, "utf8")) };
  const vars = {
    ADMIN_API_KEY: `hr_admin_${randomBytes(24).toString("base64url")}`,
    ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
    ALLOW_PRIVATE_ENDPOINTS: "true",
  };
  const body =
    "# Local settings for `wrangler dev`, created by `npm start`. Edit freely: it is never overwritten.\n" +
    Object.entries(vars)
      .map(([k, v]) => `${k}="${v}"`)
      .join("\n") +
    "\n";
  writeFileSync(path, body, { mode: 0o600 });
  return { path, created: true, vars };
}

export function parseDevVars(text) {
  const vars = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2];
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1);
    }
    vars[match[1]] = value;
  }
  return vars;
}
