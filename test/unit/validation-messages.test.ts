import { z } from "zod";
import { describe, expect, it } from "vitest";
import { plainFieldErrors, validationDetail } from "../../src/http/validation-messages";
import { urlSafetyProblem } from "../../src/domain/url-safety";

const errorsOf = (schema: z.ZodType, value: unknown, prefix: (string | number)[] = []) => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error("expected a failure");
  return plainFieldErrors(parsed.error, prefix);
};

describe("plainFieldErrors", () => {
  const S = z
    .object({
      owner_id: z.string().regex(/^[a-z]+$/, "letters only"),
      n: z.number().int().min(1).max(5).optional(),
      status: z.enum(["active", "disabled"]).optional(),
      url: z.string().url().optional(),
      at: z.string().datetime({ offset: true }).optional(),
      tags: z.array(z.string()).min(1).optional(),
      name: z.string().min(2).max(3).optional(),
      either: z.union([z.string(), z.number()]).optional(),
      auth: z.discriminatedUnion("type", [z.object({ type: z.literal("basic") }), z.object({ type: z.literal("bearer") })]).optional(),
      token: z.string().regex(/^\S+$/, "must not contain spaces").optional(),
      window: z.string().refine(() => false, "since must be before until").optional(),
    })
    .strict();

  it.each([
    [{}, "owner_id", "owner_id is required: a string"],
    [{ owner_id: 7 }, "owner_id", "owner_id must be a string, not a number"],
    [{ owner_id: null }, "owner_id", "owner_id must be a string, not null"],
    [{ owner_id: "A" }, "owner_id", "owner_id must be letters only"],
    [{ owner_id: "a", n: 2.5 }, "n", "n must be a whole number"],
    [{ owner_id: "a", n: 9 }, "n", "n must be at most 5"],
    [{ owner_id: "a", n: "3" }, "n", "n must be a number, not a string"],
    [{ owner_id: "a", status: "paused" }, "status", 'status must be one of "active", "disabled"'],
    [{ owner_id: "a", url: "nope" }, "url", "url must be an absolute http(s) URL, like https://example.com/hook"],
    [{ owner_id: "a", at: "yesterday" }, "at", "at must be an RFC 3339 time, like 2026-11-29T21:00:00.000Z"],
    [{ owner_id: "a", tags: [] }, "tags", "tags must have at least 1 item"],
    [{ owner_id: "a", name: "abcdef" }, "name", "name must be at most 3 characters long"],
    [{ owner_id: "a", either: true }, "either", "either must be a string or a number"],
    [{ owner_id: "a", auth: { type: "digest" } }, "auth.type", 'auth.type must be one of "basic", "bearer"'],
    [{ owner_id: "a", token: "a b" }, "token", "token must not contain spaces"],
    [{ owner_id: "a", window: "x" }, "window", "since must be before until"],
    [{ owner_id: "a", onwer: 1 }, "onwer", "onwer is not a field this request accepts (check the spelling)"],
  ])("%j → %s: %s", (value, path, message) => {
    expect(errorsOf(S, value)).toContainEqual({ path, message });
  });

  it("prefixes paths (batch indexes) and calls the root 'the body'", () => {
    expect(errorsOf(S, { owner_id: 1 }, ["events", 3])).toEqual([{ path: "events.3.owner_id", message: "events.3.owner_id must be a string, not a number" }]);
    expect(errorsOf(S, "text")).toEqual([{ path: "(root)", message: "the body must be a JSON object, not a string" }]);
  });

  it("a detail repeats the first message and counts the rest", () => {
    expect(validationDetail([{ path: "a", message: "a is required: a string" }])).toBe("a is required: a string.");
    expect(validationDetail([{ path: "a", message: "x" }, { path: "b", message: "y" }, { path: "c", message: "z" }])).toBe("x (and 2 more problems: see errors).");
  });
});

describe("URL messages", () => {
  it("say what is expected, and mention https only where http is refused", () => {
    expect(urlSafetyProblem("localhost:9000/hook", { allowPrivate: true })).toBe("must be an absolute http(s) URL, like https://example.com/hook");
    expect(urlSafetyProblem("/hook", { allowPrivate: true })).toMatch(/^must be an absolute http\(s\) URL/);
    expect(urlSafetyProblem("http://example.com/hook", { allowPrivate: true })).toBeNull();
    expect(urlSafetyProblem("http://example.com/hook", { allowPrivate: false })).toMatch(/^must use https .*ALLOW_PRIVATE_ENDPOINTS/);
  });
});
