// The CLI runs the compiled SDK (sdk/dist). CLI tests build it from the current sources first, so they never
// exercise a stale build (`npm install`'s postinstall and `npm test` build it too).
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "../../..");

export function buildSdk() {
  const build = spawnSync("npx", ["tsc", "-p", "sdk/tsconfig.json"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`sdk build failed:\n${build.stdout}${build.stderr}`);
}
