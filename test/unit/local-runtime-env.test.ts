import { describe, expect, it } from "vitest";
import { localRuntimeEnv } from "../../scripts/local-runtime-env.mjs";

describe("local runtime environment (npm start, e2e, bench)", () => {
  it("turns wrangler's local tracing off unless the caller set it", () => {
    expect(localRuntimeEnv({}).X_LOCAL_OBSERVABILITY).toBe("false");
    expect(localRuntimeEnv({ X_LOCAL_OBSERVABILITY: "true" }).X_LOCAL_OBSERVABILITY).toBe("true");
    expect(localRuntimeEnv({ X_LOCAL_OBSERVABILITY: "" }).X_LOCAL_OBSERVABILITY).toBe("false");
  });

  it("keeps the caller's environment and never sends wrangler metrics", () => {
    const env = localRuntimeEnv({ PORT: "9000", WRANGLER_SEND_METRICS: "true" });
    expect(env.PORT).toBe("9000");
    expect(env.WRANGLER_SEND_METRICS).toBe("false");
  });
});
