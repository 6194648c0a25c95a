import { describe, expect, it } from "vitest";
import { formatDuration, formatSeconds } from "../../dashboard/src/lib/format";

describe("dashboard durations in human units", () => {
  it.each([
    [5, "5 s"],
    [30, "30 s"],
    [180, "3 min"],
    [1080, "18 min"],
    [6480, "1.8 h"],
    [36_000, "10 h"],
    [43_200, "12 h"],
    [7 * 86_400, "7 d"],
  ])("%i s → %s", (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });

  it.each([
    [850, "850 ms"],
    [1234, "1.23 s"],
    [10_000, "10 s"],
    [90_000, "1.5 min"],
    [36_000_000, "10 h"],
    [null, "—"],
  ])("%s ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
