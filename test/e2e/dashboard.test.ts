// The dashboard in a real browser: Debian's Chromium (playwright-core) against a real `wrangler dev`
// serving the built dashboard, with real receivers on loopback. Screenshots of every page go to
// test-artifacts/dashboard/. Tests run in order and build on each other (one worker, one story).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { withQuery } from "../../dashboard/src/api/client";
import { buildDeliverySeries } from "../../dashboard/src/lib/delivery-series";
import { emptyEndpointForm, endpointCreateBody, endpointFormFrom, endpointPatchBody } from "../../dashboard/src/lib/endpoint-form-state";
import { DESKTOP, launchBrowser, openPage, PHONE, screenshot, screenshotDir } from "./support/browser";
import { ok200, startReceiver, type Receiver } from "./support/receiver";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";

const SHOTS = screenshotDir("dashboard");
/** expect.poll's default 1 s is too short for a page load plus API round trips on a busy 2-core machine. */
const SLOW = { timeout: 10_000 };
const OWNER = "acme";

let worker: RunningWorker;
let okReceiver: Receiver;
let failingReceiver: Receiver;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleErrors: string[];

/** Which API areas this server has: the API is built in stages and the dashboard is built against all of it. */
const routes = { endpoints: false, subscriptions: false, events: false, deliveries: false, sources: false, channels: false, stats: false };

/** A route is missing when the app's not-found handler answers (404 "No route for …"), not a 404 for an unknown id. */
async function routeExists(method: string, path: string, body?: unknown): Promise<boolean> {
  const res = await worker.api(method, path, body);
  return !(res.status === 404 && String(res.json?.detail ?? "").startsWith("No route for"));
}

/** State the story builds up. */
const story = { okEndpointId: "", failingEndpointId: "", eventId: "" };

beforeAll(async () => {
  // startWorker() builds nothing: the Worker serves dashboard/dist, so build it here.
  // vitest sets NODE_ENV=test; the dashboard must still be built as it ships.
  const build = spawnSync("node", ["scripts/build-dashboard.mjs"], { encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } });
  if (build.status !== 0) throw new Error(`dashboard build failed:\n${build.stdout}\n${build.stderr}`);

  worker = await startWorker();
  okReceiver = await startReceiver(ok200);
  failingReceiver = await startReceiver((_req, _i, res) => {
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "boom from the failing receiver" }));
  });
  browser = await launchBrowser();
  ({ context, page, consoleErrors } = await openPage(browser, DESKTOP));
  // Destructive actions ask window.confirm(); the user says yes.
  page.on("dialog", (dialog) => void dialog.accept());

  routes.endpoints = await routeExists("GET", "/v1/endpoints");
  routes.subscriptions = await routeExists("GET", "/v1/subscriptions");
  routes.events = await routeExists("GET", "/v1/events/evt_00000000000000000000000000");
  routes.deliveries = await routeExists("GET", "/v1/deliveries");
  routes.sources = await routeExists("GET", "/v1/sources");
  routes.channels = await routeExists("GET", "/v1/notification-channels");
  routes.stats = await routeExists("GET", "/v1/endpoints/ep_00000000000000000000000000/stats");
  console.log("dashboard e2e: routes present", routes);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await okReceiver?.close();
  await failingReceiver?.close();
  await worker?.stop();
});

// A failed browser test leaves a picture of what the page showed.
afterEach(async ({ task }) => {
  if (task.result?.state === "fail" && page) {
    await screenshot(page, SHOTS, `failed-${task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`).catch(() => undefined);
  }
});

function goto(hash: string) {
  return page.goto(`${worker.url}/${hash}`);
}

/** Fills and submits the new-endpoint form; returns the new endpoint's id from the URL it lands on. */
async function createEndpointThroughUi(url: string, retry?: { maxAttempts: string }): Promise<string> {
  await goto("#/endpoints/new");
  await page.getByLabel("URL", { exact: true }).fill(url);
  await page.getByLabel("Owner", { exact: true }).fill(OWNER);
  await page.getByLabel("Timeout (ms)").fill("5000");
  if (retry) {
    await page.getByLabel("Strategy").selectOption("constant");
    await page.getByLabel("Max attempts").fill(retry.maxAttempts);
    await page.getByLabel("Delay (s)", { exact: true }).fill("1");
    await page.getByLabel(/Jitter/).uncheck();
  }
  await page.getByRole("button", { name: "Create endpoint" }).click();
  await page.waitForURL(/#\/endpoints\/ep_/);
  await expect.poll(() => page.getByTestId("endpoint-url").textContent(), SLOW).toBe(url);
  return decodeURIComponent(new URL(page.url()).hash.split("/")[2]!);
}

async function addSubscriptionThroughUi(patterns: string) {
  await page.getByLabel("New subscription (event types)").fill(patterns);
  await page.getByRole("button", { name: "Add subscription" }).click();
  await expect.poll(() => page.getByTestId("subscriptions").textContent(), SLOW).toContain(patterns);
}

function deliveryCard(endpointId: string) {
  return page.locator(`[data-testid="delivery"][data-endpoint-id="${endpointId}"]`);
}

describe("dashboard source", () => {
  it("type-checks with its own tsconfig (the root tsconfig does not cover dashboard/)", () => {
    const tsc = spawnSync("tsc", ["--noEmit", "-p", "dashboard/tsconfig.json"], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });

  it("is built as a production bundle (React's development build must not ship)", () => {
    const assets = readdirSync("dashboard/dist/assets").filter((f) => f.endsWith(".js"));
    expect(assets.length).toBeGreaterThan(0);
    for (const file of assets) expect(readFileSync(`dashboard/dist/assets/${file}`, "utf8")).not.toContain("react-devtools");
  });

  it("sends endpoint auth only when changed, and null rate limit for unlimited", () => {
    const endpoint = {
      id: "ep_1", url: "https://a.test/h", owner_id: "acme", description: null, secret: "whsec_x", timeout_ms: 10000,
      rate_limit: null, auth: { type: "bearer", token: "****" }, metadata: {}, status: "active" as const, disabled_reason: null,
      retry: { strategy: "exponential" as const, max_attempts: 8, base_delay_s: 5, multiplier: 6, max_delay_s: 36000, jitter: true },
      created_at: "", updated_at: "",
    };
    const kept = endpointPatchBody(endpointFormFrom(endpoint));
    expect(kept).not.toHaveProperty("auth");
    expect(kept).toMatchObject({ url: "https://a.test/h", timeout_ms: 10000, rate_limit: null, retry: { strategy: "exponential", max_attempts: 8 } });
    expect(endpointPatchBody({ ...endpointFormFrom(endpoint), auth: "none" }).auth).toBeNull();
    const created = endpointCreateBody({ ...emptyEndpointForm("acme"), url: " https://b.test ", auth: "header", auth_header_name: "X-K", auth_header_value: "v" });
    expect(created).toMatchObject({ url: "https://b.test", owner_id: "acme", auth: { type: "header", name: "X-K", value: "v" } });
    expect(created).not.toHaveProperty("description");
  });

  it("drops empty filters from list queries", () => {
    expect(withQuery("/v1/events", { owner_id: "", event_type: "a.b", cursor: undefined, limit: 5 })).toBe("/v1/events?event_type=a.b&limit=5");
    expect(withQuery("/v1/events", { owner_id: "" })).toBe("/v1/events");
  });
});

describe("overview chart arithmetic", () => {
  it("buckets deliveries per minute over 24 h and counts only finished ones in the success rate", () => {
    const now = Date.parse("2026-11-29T12:00:30.000Z");
    const at = (iso: string) => ({ id: iso, event_id: "e", endpoint_id: "ep", created_at: iso });
    const series = buildDeliverySeries(
      [
        { ...at("2026-11-29T11:59:10.000Z"), status: "succeeded" },
        { ...at("2026-11-29T11:59:50.000Z"), status: "failed" },
        { ...at("2026-11-29T11:58:00.000Z"), status: "pending" },
        { ...at("2026-11-28T11:00:00.000Z"), status: "succeeded" }, // older than 24 h: ignored
      ],
      now,
    );
    expect(series.perMinute).toHaveLength(1440);
    expect(series.total).toBe(3);
    expect(series.successRate).toBe(0.5);
    expect(series.peakPerMinute).toBe(2);
    expect(series.perHour.at(-1)!.rate).toBe(0.5);
    expect(series.perHour.filter((h) => h.rate !== null)).toHaveLength(1);
  });
});

/**
 * Stat tiles and facts whose words the browser split across two lines ("unlimite / d"): each word of their
 * text is measured with a Range, and a word drawn on more than one line box is reported.
 */
async function brokenWords(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const broken: string[] = [];
    for (const el of document.querySelectorAll(".stat dd, .stat dt, dl.facts dd")) {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent ?? "";
        for (const match of text.matchAll(/\S+/g)) {
          const range = document.createRange();
          range.setStart(node, match.index!);
          range.setEnd(node, match.index! + match[0].length);
          const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          // Facts may hold ids and URLs, which may wrap anywhere; plain words never may.
          const plainWord = el.closest(".stat") !== null || /^[A-Za-z]+[.,]?$/.test(match[0]);
          if (lines.size > 1 && plainWord) broken.push(match[0]);
        }
      }
    }
    return broken;
  });
}

describe("dashboard in Chromium", () => {
  it("is served at / and refuses a wrong key with the server's problem, then signs the admin in", async () => {
    await goto("");
    await expect.poll(() => page.getByRole("heading", { name: "HookRelay" }).isVisible(), SLOW).toBe(true);
    await screenshot(page, SHOTS, "sign-in");
    // It says where the key is when running locally.
    const hint = await page.getByTestId("key-hint").textContent();
    expect(hint).toContain("ADMIN_API_KEY");
    expect(hint).toContain(".dev.vars");

    await page.getByLabel("API key").fill("not-a-real-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent(), SLOW).toContain("Unauthorized");
    expect(await alert.textContent()).toContain("HTTP 401");

    await page.getByLabel("API key").fill(worker.adminKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByTestId("signed-in-as").textContent(), SLOW).toBe("Admin · all owners");
    // The key lives in sessionStorage, not localStorage.
    expect(await page.evaluate(() => window.localStorage.length)).toBe(0);
    expect(await page.evaluate(() => window.sessionStorage.getItem("hookrelay.session"))).toContain(worker.adminKey);
  });

  it("reaches the main navigation by keyboard", async () => {
    await goto("#/");
    // A fresh load: focus starts at the top of the document.
    await page.reload();
    await expect.poll(() => page.getByTestId("signed-in-as").isVisible(), SLOW).toBe(true);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    // brand, Overview, then Endpoints
    for (let i = 0; i < 3; i++) await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Endpoints");
    await page.keyboard.press("Enter");
    await page.waitForURL(/#\/endpoints$/);
    // Focus moves to the new page's content, not left on the nav link.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), SLOW).toBe("main");
  });

  it("shows a validation problem readably, then creates two endpoints and their subscriptions", async (ctx) => {
    if (!routes.endpoints || !routes.subscriptions) ctx.skip("endpoints or subscriptions routes not built yet");

    await goto("#/endpoints/new");
    await page.getByLabel("URL", { exact: true }).fill(`${okReceiver.url}/hook`);
    await page.getByLabel("Owner", { exact: true }).fill(OWNER);
    await page.getByLabel("Timeout (ms)").fill("50");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    const problem = page.getByRole("alert");
    await expect.poll(() => problem.textContent(), SLOW).toContain("Validation failed");
    expect(await problem.textContent()).toContain("HTTP 422");
    // The server's plain message names the field; a lone error is said once (in the detail), not listed again.
    expect(await problem.textContent()).toContain("timeout_ms must be at least 1000.");
    expect(await problem.locator("li").count()).toBe(0);
    // The same error sits under the Timeout input and is tied to it for screen readers.
    const timeout = page.getByLabel("Timeout (ms)");
    expect(await timeout.getAttribute("aria-invalid")).toBe("true");
    const describedBy = (await timeout.getAttribute("aria-describedby"))!;
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toMatch(/1000/);
    await screenshot(page, SHOTS, "endpoint-new-validation-error");

    story.okEndpointId = await createEndpointThroughUi(`${okReceiver.url}/hook`);
    await addSubscriptionThroughUi("order.*");
    // The signing secret is masked until asked for.
    const secret = page.getByTestId("endpoint-secret");
    expect(await secret.textContent()).toContain("••");
    await page.getByRole("button", { name: "Show" }).click();
    expect(await secret.textContent()).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);

    // Fails on the first attempt and stops there: one attempt per run of the policy.
    story.failingEndpointId = await createEndpointThroughUi(`${failingReceiver.url}/hook`, { maxAttempts: "1" });
    await addSubscriptionThroughUi("order.created");

    const subs = await worker.api("GET", `/v1/subscriptions?endpoint_id=${story.failingEndpointId}`);
    expect(subs.json.data.map((s: { event_types: string[] }) => s.event_types)).toEqual([["order.created"]]);
    const ep = await worker.api("GET", `/v1/endpoints/${story.failingEndpointId}`);
    expect(ep.json).toMatchObject({ owner_id: OWNER, timeout_ms: 5000, retry: { strategy: "constant", max_attempts: 1, delay_s: 1, jitter: false } });

    await goto("#/endpoints");
    await expect.poll(() => page.locator("table").textContent(), SLOW).toContain(`${failingReceiver.url}/hook`);
    await screenshot(page, SHOTS, "endpoints");
  });

  it("edits an endpoint and disables/enables it from its page", async (ctx) => {
    if (!story.failingEndpointId) ctx.skip("no endpoint was created");
    await goto(`#/endpoints/${story.failingEndpointId}`);
    // The page may still be loading (and re-render the settings panel closed) when the first click lands on a
    // loaded machine: open the form until its fields are there, instead of racing one click against the load.
    const rateToggle = page.getByLabel(/Limit the request rate/);
    await expect
      .poll(async () => {
        if (!(await rateToggle.isVisible())) await page.getByRole("button", { name: "Edit settings" }).click({ timeout: 2_000 }).catch(() => undefined);
        return rateToggle.isVisible();
      }, SLOW)
      .toBe(true);
    await rateToggle.check();
    await page.getByLabel("Requests").fill("5");
    await page.getByLabel("Per seconds").fill("2");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => page.locator("dl.facts").textContent(), SLOW).toContain("5 per 2 s");
    expect((await worker.api("GET", `/v1/endpoints/${story.failingEndpointId}`)).json.rate_limit).toEqual({ requests: 5, per_seconds: 2 });

    await page.getByRole("button", { name: "Disable" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Enable" }).isVisible(), SLOW).toBe(true);
    expect((await worker.api("GET", `/v1/endpoints/${story.failingEndpointId}`)).json.status).toBe("disabled");
    await page.getByRole("button", { name: "Enable" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Disable" }).isVisible(), SLOW).toBe(true);
    expect((await worker.api("GET", `/v1/endpoints/${story.failingEndpointId}`)).json.status).toBe("active");

    // Rotation shows the new secret once; it is the one the API now signs with.
    const before = (await worker.api("GET", `/v1/endpoints/${story.failingEndpointId}`)).json.secret;
    await page.getByRole("button", { name: "Rotate secret" }).click();
    await expect.poll(() => page.getByTestId("secret-value").count(), SLOW).toBe(1);
    const shown = await page.getByTestId("secret-value").textContent();
    const after = (await worker.api("GET", `/v1/endpoints/${story.failingEndpointId}`)).json;
    expect(shown).toBe(after.secret);
    expect(shown).not.toBe(before);
    expect(after.previous_secret_expires_at).toBeTruthy();
  });

  it("shows an event's payload, its successful delivery and the failing delivery's attempts, and retries it", async (ctx) => {
    if (!story.okEndpointId || !routes.events || !routes.deliveries) ctx.skip("needs endpoints plus the events and deliveries routes");

    const sent = await worker.api("POST", "/v1/events", { owner_id: OWNER, event_type: "order.created", payload: { order: 42, note: "from the dashboard test" } });
    expect(sent.status).toBe(202);
    story.eventId = sent.json.id;
    // 202 means queued; the event is readable once the fanout consumer has stored it.
    await waitFor(async () => (await worker.api("GET", `/v1/events/${story.eventId}`)).status === 200, 30_000);

    await goto(`#/events/${story.eventId}`);
    await expect.poll(() => page.getByTestId("event-type").textContent(), SLOW).toBe("order.created");
    expect(await page.getByLabel("Payload", { exact: true }).textContent()).toContain('"order": 42');

    // The delivery to the healthy endpoint succeeds; the page follows it without a reload.
    const okCard = deliveryCard(story.okEndpointId);
    await expect.poll(() => okCard.getAttribute("data-status"), { timeout: 30_000 }).toBe("succeeded");
    await expect.poll(() => okCard.getByTestId("attempt").count(), SLOW).toBe(1);
    expect(await okCard.getByTestId("attempt").textContent()).toContain("HTTP 200");
    expect(okReceiver.received.some((r) => r.headers["webhook-id"] === story.eventId)).toBe(true);

    // The failing endpoint's single attempt got a 500, and its response body is there to read.
    const failCard = deliveryCard(story.failingEndpointId);
    await expect.poll(() => failCard.getAttribute("data-status"), { timeout: 30_000 }).toBe("failed");
    const firstAttempt = failCard.getByTestId("attempt").first();
    expect(await firstAttempt.textContent()).toContain("HTTP 500");
    await firstAttempt.locator("summary").click();
    expect(await firstAttempt.getByLabel("Response body", { exact: true }).textContent()).toContain("boom from the failing receiver");
    await screenshot(page, SHOTS, "event-detail");

    // The receiver recovers; a manual retry makes a second attempt that succeeds.
    failingReceiver.respondWith(ok200);
    await failCard.getByRole("button", { name: "Retry delivery" }).click();
    await expect.poll(() => failCard.getAttribute("data-status"), { timeout: 30_000 }).toBe("succeeded");
    await expect.poll(() => failCard.getByTestId("attempt").count(), SLOW).toBe(2);
    const attempts = await failCard.getByTestId("attempt").allTextContents();
    expect(attempts[0]).toContain("HTTP 500");
    expect(attempts[1]).toContain("HTTP 200");
    expect(failingReceiver.received.map((r) => r.headers["hookrelay-attempt"])).toEqual(["1", "2"]);
    await screenshot(page, SHOTS, "event-detail-retried");

    const phone = await openPage(browser, PHONE);
    try {
      await phone.page.goto(`${worker.url}/`);
      await expect.poll(() => phone.page.getByTestId("key-hint").isVisible(), SLOW).toBe(true);
      await screenshot(phone.page, SHOTS, "sign-in-390");
      await phone.page.getByLabel("API key").fill(worker.adminKey);
      await phone.page.getByRole("button", { name: "Sign in" }).click();
      await phone.page.goto(`${worker.url}/#/events/${story.eventId}`);
      await expect.poll(() => phone.page.getByTestId("attempt").count(), SLOW).toBe(3);
      // Nothing wider than the phone: no sideways scrolling of the page.
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, SHOTS, "event-detail-390");
    } finally {
      await phone.context.close();
    }
  });

  it("finds the event by owner and type on the Events page", async (ctx) => {
    if (!story.eventId) ctx.skip("no event was sent");
    await goto("#/events");
    // History is listed per owner: an admin session picks the owner first (a select fed by GET /v1/owners).
    await page.getByLabel("Owner", { exact: true }).selectOption(OWNER);
    await page.getByLabel("Event type").fill("order.created");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.getByTestId("events-table").textContent(), SLOW).toContain(story.eventId);
    await screenshot(page, SHOTS, "events");

    await page.getByLabel("Event type").fill("no.such.type");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.getByText("No events match.").isVisible(), SLOW).toBe(true);
  });

  it("charts the last 24 hours on the Overview", async (ctx) => {
    if (!routes.deliveries) ctx.skip("deliveries route not built yet");
    await goto("#/");
    await page.getByLabel("Owner", { exact: true }).selectOption(OWNER);
    await expect.poll(() => page.getByTestId("stat-total").textContent(), { timeout: 15_000 }).toBe(story.eventId ? "2" : "0");
    if (story.eventId) {
      expect(await page.getByTestId("stat-success-rate").textContent()).toBe("100 %");
      expect(await page.getByRole("img", { name: /Deliveries per minute/ }).isVisible()).toBe(true);
    }
    await screenshot(page, SHOTS, "overview");

    const phone = await openPage(browser, PHONE);
    try {
      await phone.page.goto(`${worker.url}/`);
      await expect.poll(() => phone.page.getByTestId("key-hint").isVisible(), SLOW).toBe(true);
      await screenshot(phone.page, SHOTS, "sign-in-390");
      await phone.page.getByLabel("API key").fill(worker.adminKey);
      await phone.page.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => phone.page.getByTestId("stat-total").isVisible(), { timeout: 15_000 }).toBe(true);
      expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, SHOTS, "overview-390");
    } finally {
      await phone.context.close();
    }
  });

  it("retries an endpoint's failed deliveries as a job and shows its progress", async (ctx) => {
    if (!story.eventId) ctx.skip("needs the delivery story above");
    failingReceiver.respondWith((_req, _i, res) => {
      res.writeHead(500).end("down again");
    });
    const sent = await worker.api("POST", "/v1/events", { owner_id: OWNER, event_type: "order.created", payload: { order: 43 } });
    expect(sent.status).toBe(202);
    const failed = await waitFor(async () => {
      const res = await worker.api("GET", `/v1/deliveries?endpoint_id=${story.failingEndpointId}&status=failed`);
      return res.json?.data?.length === 1 ? res.json.data[0] : null;
    }, 30_000);
    expect(failed.event_id).toBe(sent.json.id);

    failingReceiver.respondWith(ok200);
    await goto(`#/endpoints/${story.failingEndpointId}`);
    await page.getByRole("button", { name: "Retry failed" }).click();
    await expect.poll(() => page.getByText("Retrying 1 delivery.").isVisible(), SLOW).toBe(true);
    const job = page.getByTestId("job-progress");
    await expect.poll(() => job.textContent(), { timeout: 30_000 }).toContain("completed");
    expect(await job.textContent()).toContain("1 of 1 retried");
    await waitFor(async () => (await worker.api("GET", `/v1/deliveries/${failed.id}`)).json?.status === "succeeded", 30_000);
    await page.getByRole("button", { name: "Refresh" }).last().click();
    await expect.poll(() => page.getByRole("region", { name: "Recent deliveries" }).textContent(), SLOW).not.toContain("failed");

    // Per-endpoint stats: shown when the server has the route, else its problem is shown (not blank, not zeros).
    const stats = page.getByRole("region", { name: "Last 24 hours" });
    if (routes.stats) {
      await expect.poll(() => stats.textContent(), SLOW).toContain("Success rate");
      expect(await stats.getByRole("alert").count()).toBe(0);
    } else {
      await expect.poll(() => stats.getByRole("alert").textContent(), SLOW).toContain(`No route for GET /v1/endpoints/${story.failingEndpointId}/stats`);
    }
    await screenshot(page, SHOTS, "endpoint-detail");
  });

  it("sends a test event from the endpoint page and shows the resulting delivery", async (ctx) => {
    if (!story.okEndpointId) ctx.skip("needs the endpoints created above");
    const before = okReceiver.received.length;
    await goto(`#/endpoints/${story.okEndpointId}`);
    await page.getByRole("button", { name: "Send test event" }).click();
    const result = page.getByTestId("test-event-result");
    await expect.poll(() => result.locator('[data-testid="delivery"]').getAttribute("data-status"), { timeout: 30_000 }).toBe("succeeded");
    const hit = okReceiver.received.slice(before).find((r) => r.headers["hookrelay-event-type"] === "hookrelay.test");
    expect(hit).toBeDefined();
    expect(JSON.parse(hit!.body)).toMatchObject({ test: true, endpoint_id: story.okEndpointId });
    expect(await result.textContent()).toContain(hit!.headers["webhook-id"]!);
    // Durations in human units: the default retry policy reads "5 s × 6 up to 10 h", the timeout "10 s".
    const settings = await page.locator("dl.facts").first().textContent();
    expect(settings).toContain("5 s × 6 up to 10 h");
    expect(settings).toMatch(/Timeout\d+ s/); // this story set 5000 ms earlier
    expect(settings).not.toMatch(/36000|\d{4} ms/);
    expect(await brokenWords(page)).toEqual([]);
    await screenshot(page, SHOTS, "endpoint-test-event");
  });

  it("replays an event to the endpoints that match it now", async (ctx) => {
    if (!story.eventId) ctx.skip("needs the delivery story above");
    const before = okReceiver.received.filter((r) => r.headers["webhook-id"] === story.eventId).length;
    await goto(`#/events/${story.eventId}`);
    await page.getByRole("button", { name: "Replay event" }).click();
    await expect.poll(() => page.getByText(/Replay accepted: 2 deliveries retried, 0 new/).isVisible(), SLOW).toBe(true);
    await waitFor(async () => okReceiver.received.filter((r) => r.headers["webhook-id"] === story.eventId).length > before, 30_000);
    // The page follows the replayed deliveries: the healthy endpoint's card shows a second attempt.
    await expect.poll(() => deliveryCard(story.okEndpointId).getByTestId("attempt").count(), { timeout: 30_000 }).toBe(2);
  });

  it("retries every failed delivery from the Overview as one job", async (ctx) => {
    if (!story.eventId) ctx.skip("needs the delivery story above");
    failingReceiver.respondWith((_req, _i, res) => {
      res.writeHead(503).end("unavailable");
    });
    const sent = await worker.api("POST", "/v1/events", { owner_id: OWNER, event_type: "order.created", payload: { order: 44 } });
    const failed = await waitFor(async () => {
      const res = await worker.api("GET", `/v1/deliveries?event_id=${sent.json.id}&endpoint_id=${story.failingEndpointId}`);
      return res.json?.data?.[0]?.status === "failed" ? res.json.data[0] : null;
    }, 30_000);
    // The Overview lists an owner's failures from history, where an outcome lands within a flush interval
    // (250 ms) after the delivery itself shows it: wait for that before the page loads its list once.
    await waitFor(async () => {
      const res = await worker.api("GET", `/v1/deliveries?owner_id=${OWNER}&status=failed&limit=50`);
      return res.json?.data?.some((d: { id: string }) => d.id === failed.id) ? true : null;
    }, 30_000);

    failingReceiver.respondWith(ok200);
    await goto("#/");
    await page.getByLabel("Owner", { exact: true }).selectOption(OWNER);
    const failures = page.getByRole("region", { name: "Recent failures" });
    await expect.poll(() => failures.textContent(), SLOW).toContain("HTTP 503");
    await failures.getByRole("button", { name: "Retry all failed" }).click();
    await expect.poll(() => failures.textContent(), SLOW).toContain("Retrying 1 failed delivery.");
    await expect.poll(() => failures.getByTestId("job-progress").textContent(), { timeout: 30_000 }).toContain("completed");
    await waitFor(async () => (await worker.api("GET", `/v1/deliveries/${failed.id}`)).json?.status === "succeeded", 30_000);
  });

  it("creates WebSocket and SNS sources, shows their ingest URLs, and rotates a token once-shown", async (ctx) => {
    await goto("#/sources");
    if (!routes.sources) {
      // The page must say the route is missing, not pretend there are no sources.
      await expect.poll(() => page.getByRole("alert").first().textContent(), SLOW).toContain("Not found");
      await screenshot(page, SHOTS, "sources");
      ctx.skip("sources route not built yet");
    }
    await page.getByLabel("Type", { exact: true }).selectOption("websocket");
    await page.getByLabel("Name").fill("browser-feed");
    await page.getByLabel("Owner", { exact: true }).fill(OWNER);
    await page.getByRole("button", { name: "Create source" }).click();
    await expect.poll(() => page.getByTestId("secret-value").count(), SLOW).toBe(1);
    expect((await page.getByTestId("secret-value").textContent())!.length).toBeGreaterThan(10);
    const firstToken = await page.getByTestId("secret-value").textContent();
    const card = page.getByRole("article", { name: "Source browser-feed" });
    expect(await card.textContent()).toMatch(new RegExp(`ws://127\\.0\\.0\\.1:${worker.port}/ingest/ws/src_`));
    await page.getByRole("button", { name: "Done" }).click();

    await card.getByRole("button", { name: "Rotate token" }).click();
    await expect.poll(() => card.getByTestId("secret-value").count(), SLOW).toBe(1);
    const rotated = await card.getByTestId("secret-value").textContent();
    expect(rotated).toBeTruthy();
    expect(rotated).not.toBe(firstToken);

    await page.getByLabel("Type", { exact: true }).selectOption("sns");
    await page.getByLabel("Name").fill("orders-topic");
    await page.getByLabel("Default event type").fill("order.created");
    await page.getByRole("button", { name: "Create source" }).click();
    const sns = page.getByRole("article", { name: "Source orders-topic" });
    await expect.poll(() => sns.textContent(), SLOW).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${worker.port}/ingest/sns/src_`));
    expect(await sns.textContent()).toContain("pending confirmation");
    await screenshot(page, SHOTS, "sources");
  });

  it("adds a Slack channel, sends a test and shows it in the notification log", async (ctx) => {
    await goto("#/settings");
    if (!routes.channels) {
      await expect.poll(() => page.getByRole("alert").first().textContent(), SLOW).toContain("Not found");
      await screenshot(page, SHOTS, "settings");
      ctx.skip("notification channel routes not built yet");
    }
    const slack = await startReceiver(ok200);
    try {
      await page.getByLabel("Type", { exact: true }).selectOption("slack");
      await page.getByLabel("Slack webhook URL").fill(`${slack.url}/services/T/B/X`);
      await page.getByRole("button", { name: "Add channel" }).click();
      await expect.poll(() => page.getByRole("button", { name: "Send test" }).count(), SLOW).toBe(1);
      await page.getByRole("button", { name: "Send test" }).click();
      await expect.poll(() => page.getByText(/Test message sent/).isVisible(), { timeout: 15_000 }).toBe(true);
      await waitFor(async () => slack.received.length > 0, 15_000);
      await page.getByRole("button", { name: "Refresh" }).click();
      await expect.poll(() => page.locator("table").textContent(), { timeout: 15_000 }).toContain("test");
      await screenshot(page, SHOTS, "settings");

      await page.getByRole("button", { name: "Delete" }).click();
      await expect.poll(() => page.getByText(/No channels/).isVisible(), SLOW).toBe(true);
      expect((await worker.api("GET", "/v1/notification-channels")).json.data).toEqual([]);

      // An owner key is created here and shown once; revoking it removes it.
      const keys = page.getByRole("region", { name: "API keys" });
      await page.getByLabel("Key name").fill("ops-laptop");
      await page.getByLabel("Key owner").fill(OWNER);
      await page.getByRole("button", { name: "Create key" }).click();
      await expect.poll(() => keys.getByTestId("secret-value").textContent(), SLOW).toMatch(/^hr_/);
      const newKey = (await keys.getByTestId("secret-value").textContent())!;
      expect((await worker.api("GET", "/v1/endpoints", undefined, newKey)).status).toBe(200);
      await expect.poll(() => keys.getByTestId("api-keys").textContent(), SLOW).toContain("ops-laptop");
      await screenshot(page, SHOTS, "settings-api-keys");
      await keys.getByRole("button", { name: "Revoke" }).click();
      await expect.poll(() => keys.textContent(), SLOW).toContain("No owner keys yet.");
      expect(await keys.textContent()).not.toContain("ops-laptop");
      expect((await worker.api("GET", "/v1/endpoints", undefined, newKey)).status).toBe(401);
    } finally {
      await slack.close();
    }
  });

  it("fits every page into a 390 px phone screen", async (ctx) => {
    if (!story.failingEndpointId) ctx.skip("needs the endpoints created above");
    const phone = await openPage(browser, PHONE);
    try {
      await phone.page.goto(`${worker.url}/`);
      await expect.poll(() => phone.page.getByTestId("key-hint").isVisible(), SLOW).toBe(true);
      await screenshot(phone.page, SHOTS, "sign-in-390");
      await phone.page.getByLabel("API key").fill(worker.adminKey);
      await phone.page.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => phone.page.getByTestId("signed-in-as").count(), SLOW).toBe(1);
      const pages: [string, string][] = [
        ["#/", "overview"],
        ["#/endpoints", "endpoints"],
        ["#/endpoints/new", "endpoint-new"],
        [`#/endpoints/${story.failingEndpointId}`, "endpoint-detail"],
        ["#/events", "events"],
        ["#/sources", "sources"],
        ["#/dead-letters", "dead-letters"],
        ["#/settings", "settings"],
      ];
      for (const [hash, name] of pages) {
        await phone.page.goto(`${worker.url}/${hash}`);
        await expect.poll(() => phone.page.locator(".loading").count(), SLOW).toBe(0);
        // Elements sticking out past the screen edge (outside any scroll box): named, so a failure says what.
        const overflowing = await phone.page.evaluate(() =>
          [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
            .filter((el) => {
              for (let p = el.parentElement; p; p = p.parentElement) if (/(auto|scroll|hidden)/.test(getComputedStyle(p).overflowX)) return false;
              return true;
            })
            .map((el) => `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? "").slice(0, 40)}"`),
        );
        expect({ page: name, broken: await brokenWords(phone.page) }).toEqual({ page: name, broken: [] });
        const scrollWidth = await phone.page.evaluate(() => document.documentElement.scrollWidth);
        expect({ page: name, overflowing, scrollWidth }).toEqual({ page: name, overflowing: [], scrollWidth: PHONE.width });
        await screenshot(phone.page, SHOTS, `${name}-390`);
      }
    } finally {
      await phone.context.close();
    }
  });

  it("signs an owner key in to its own owner's data only", async (ctx) => {
    if (!routes.endpoints) ctx.skip("endpoints route not built yet");
    const other = await worker.api("POST", "/v1/endpoints", { url: `${okReceiver.url}/other`, owner_id: "globex" });
    expect(other.status).toBe(201);
    const key = await worker.api("POST", "/v1/api-keys", { name: "dashboard", owner_id: OWNER });
    expect(key.status).toBe(201);

    const owner = await openPage(browser, DESKTOP);
    try {
      await owner.page.goto(`${worker.url}/`);
      await owner.page.getByLabel("API key").fill(key.json.key);
      await owner.page.getByRole("button", { name: "Sign in" }).click();
      await expect.poll(() => owner.page.getByTestId("signed-in-as").textContent(), SLOW).toBe(`Owner · ${OWNER}`);
      await owner.page.goto(`${worker.url}/#/endpoints`);
      await expect.poll(() => owner.page.locator("table").textContent(), SLOW).toContain(`${okReceiver.url}/hook`);
      expect(await owner.page.locator("table").textContent()).not.toContain("/other");
      expect(await owner.page.getByLabel("Owner", { exact: true }).inputValue()).toBe(OWNER);

      // A revoked key sends the user back to sign-in, saying why.
      expect((await worker.api("DELETE", `/v1/api-keys/${key.json.id}`)).status).toBe(204);
      await owner.page.goto(`${worker.url}/#/events`);
      await expect.poll(() => owner.page.getByText(/no longer accepts this key/).isVisible(), SLOW).toBe(true);
      expect(await owner.page.evaluate(() => window.sessionStorage.getItem("hookrelay.session"))).toBeNull();
    } finally {
      await owner.context.close();
    }
  });

  it("signs out: the key leaves session storage and the sign-in page returns", async () => {
    await goto("#/events");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => page.getByLabel("API key").isVisible(), SLOW).toBe(true);
    expect(await page.evaluate(() => window.sessionStorage.getItem("hookrelay.session"))).toBeNull();
  });

  it("logged no browser errors other than the API answers it showed", () => {
    // Failed fetches (401 on the wrong key, 404 for routes not built yet, 422 on purpose) log as console
    // errors in Chromium; anything else (exceptions, React warnings) is a bug.
    const unexpected = consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of (401|404|422)/.test(e));
    expect(unexpected).toEqual([]);
  });
});
