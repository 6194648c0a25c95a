// Shard naming, tags and the in-flight setting of WebSocket ingest (pure parts of ws-sockets.ts).
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_IN_FLIGHT_PER_SOCKET,
  maxInFlightPerSocket,
  pickShard,
  shardName,
  sourceTag,
  tokenVersionTag,
  WS_SHARDS,
} from "../../src/ingest/ws-sockets";
import type { Env } from "../../src/env";

const env = (vars: Record<string, unknown>) => vars as unknown as Env;

describe("ws-sockets", () => {
  it("spreads connections over every shard and only those", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(pickShard());
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: WS_SHARDS }, (_, i) => i));
  });

  it("names shards and tags per source and token version", () => {
    expect(shardName("src_a", 3)).toBe("src_a:3");
    expect(sourceTag("src_a")).toBe("src:src_a");
    expect(tokenVersionTag(2)).toBe("tv:2");
    // Tags are limited to 256 characters by the runtime; source ids are ~30.
    expect(sourceTag("src_" + "x".repeat(26)).length).toBeLessThan(256);
  });

  it("reads WS_MAX_IN_FLIGHT within 1..1024 and falls back to the default otherwise", () => {
    expect(maxInFlightPerSocket(env({}))).toBe(DEFAULT_MAX_IN_FLIGHT_PER_SOCKET);
    expect(maxInFlightPerSocket(env({ WS_MAX_IN_FLIGHT: "2" }))).toBe(2);
    for (const bad of ["0", "-1", "1.5", "abc", "5000", ""]) {
      expect(maxInFlightPerSocket(env({ WS_MAX_IN_FLIGHT: bad }))).toBe(DEFAULT_MAX_IN_FLIGHT_PER_SOCKET);
    }
  });
});
