// The Dead letters page in real Chromium against a real `wrangler dev`, with real dead letters: a trigger in
// the local D1 refuses one owner's history shard (history_shards), so the events consumer's write throws on every try, the
// messages use up the queue's retries (wrangler.toml: max_retries 10, retry_delay 5 s, about a minute) and
// the platform moves them to hookrelay-dead-letters, whose consumer records them. Dropping the trigger and
// redriving one from the page must deliver that event. Screenshots go to test-artifacts/dashboard-dead-letters/.
// Tests run in order and build on each other (one worker, one story).
import { spawnSync } from "node:child_process";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { canRedrive, summarizeDeadLetter } from "../../dashboard/src/lib/dead-letter-summary";
import { DEAD_LETTERS_PAGE_SIZE } from "../../dashboard/src/pages/dead-letters";
import { DESKTOP, launchBrowser, openPage, PHONE, screenshot, screenshotDir } from "./support/browser";
import { ok200, startReceiver, type Receiver } from "./support/receiver";
import { startWorker, waitFor, type RunningWorker } from "./support/worker";

const SHOTS = screenshotDir("dashboard-dead-letters");
/** expect.poll's default 1 s is too short for a page load plus API round trips on a busy 2-core machine. */
const SLOW = { timeout: 10_000 };
/** The owner whose events the D1 trigger refuses. */
const OWNER = "dlq-demo";
const TRIGGER = "e2e_refuse_dlq_demo_events";
/** One more than a page, so the page needs Load more. */
const BULK = DEAD_LETTERS_PAGE_SIZE;

let worker: RunningWorker;
let receiver: Receiver;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleErrors: string[];
const dialogs: string[] = [];

/** State the story builds up. */
const story = { eventId: "", sentAt: 0, deadLetterId: "" };

async function listDeadLetters(): Promise<{ id: string; body: { id?: string }; redriven_at: string | null }[]> {
  const res = await worker.api("GET", "/v1/dead-letters?limit=500");
  if (res.status !== 200) throw new Error(`list dead letters: ${res.status} ${res.text}`);
  return res.json.data;
}

async function signIn(p: Page, key: string) {
  await p.goto(`${worker.url}/`);
  await p.getByLabel("API key").fill(key);
  await p.getByRole("button", { name: "Sign in" }).click();
  // Sign out is shown at every width (who is signed in is hidden on phones).
  await expect.poll(() => p.getByRole("button", { name: "Sign out" }).isVisible(), SLOW).toBe(true);
}

const cards = () => page.getByTestId("dead-letter");
const activeText = (p: Page) => p.evaluate(() => document.activeElement?.textContent ?? "");

beforeAll(async () => {
  // startWorker() builds nothing: the Worker serves dashboard/dist, so build it here, as it ships.
  const build = spawnSync("node", ["scripts/build-dashboard.mjs"], { encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } });
  if (build.status !== 0) throw new Error(`dashboard build failed:\n${build.stdout}\n${build.stderr}`);

  worker = await startWorker();
  receiver = await startReceiver(ok200);
  browser = await launchBrowser();
  ({ context, page, consoleErrors } = await openPage(browser, DESKTOP));
  // Redrive asks window.confirm(); the user reads it and says yes.
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await receiver?.close();
  await worker?.stop();
});

// A failed browser test leaves a picture of what the page showed.
afterEach(async ({ task }) => {
  if (task.result?.state === "fail" && page) {
    await screenshot(page, SHOTS, `failed-${task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`).catch(() => undefined);
  }
});

describe("dead-letter summaries", () => {
  it("says what each kind of message was, parses an event's payload, and links to what it concerns", () => {
    const event = summarizeDeadLetter({ body: { kind: "event", id: "evt_1", owner_id: "acme", event_type: "order.created", payload: '{"a":1}' } });
    expect(event).toMatchObject({ kind: "Event", subject: "order.created", payload: { a: 1 }, link: { parts: ["events", "evt_1"] } });
    expect(event.facts).toEqual([
      { label: "Event", value: "evt_1" },
      { label: "Owner", value: "acme" },
    ]);
    // A payload too large for the message travels by reference (null): there is nothing to parse.
    expect(summarizeDeadLetter({ body: { kind: "event", id: "evt_2", payload: null } }).payload).toBeUndefined();
    expect(summarizeDeadLetter({ body: { kind: "event", id: "evt_3", payload: "not json" } }).payload).toBe("not json");

    const fanout = summarizeDeadLetter({ body: { kind: "fanout", event_id: "evt_1", endpoint_ids: ["ep_1", "ep_2"] } });
    expect(fanout).toMatchObject({ kind: "Fanout slice", facts: [{ label: "Event", value: "evt_1" }, { label: "Endpoints", value: "2" }] });
    const packed = summarizeDeadLetter({
      body: { kind: "events", events: [{ id: "evt_4", owner_id: "acme", event_type: "order.created" }, { id: "evt_5", owner_id: "acme", event_type: "order.created" }] },
    });
    expect(packed).toMatchObject({ kind: "Events (packed)", subject: "order.created", link: { parts: ["events", "evt_4"] } });
    expect(packed.facts).toEqual([
      { label: "Events", value: "2" },
      { label: "Owner", value: "acme" },
      { label: "First event", value: "evt_4" },
    ]);
    const retry = summarizeDeadLetter({ body: { kind: "retry", delivery_id: "dlv_1", endpoint_id: "ep_1", due_at: 1 } });
    expect(retry).toMatchObject({ kind: "Delivery retry", link: { parts: ["endpoints", "ep_1"] } });

    for (const body of ["plain text", null, [1, 2], { mystery: true }]) expect(summarizeDeadLetter({ body }).kind).toBe("Unrecognised message");
    expect(canRedrive({ queue: "unknown" })).toBe(false);
    expect(canRedrive({ queue: "hookrelay-retries" })).toBe(true);
  });
});

describe("Dead letters page in Chromium", () => {
  it("is in the admin's navigation and shows the empty state before anything has died", async () => {
    await signIn(page, worker.adminKey);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dead letters" }).click();
    await page.waitForURL(/#\/dead-letters$/);
    await expect.poll(() => page.getByText("No dead letters: no queue consumer has given up on a message.").isVisible(), SLOW).toBe(true);
    await screenshot(page, SHOTS, "dead-letters-empty");
  });

  it("makes real dead letters: the events consumer's D1 write is refused on every try", async () => {
    const ep = await worker.api("POST", "/v1/endpoints", { url: `${receiver.url}/hook`, owner_id: OWNER });
    expect(ep.status).toBe(201);
    expect((await worker.api("POST", "/v1/subscriptions", { endpoint_id: ep.json.id, event_types: ["order.*"] })).status).toBe(201);
    // History lives in LogShard Durable Objects now; each one enters itself in D1's history_shards (key = the
    // owner for event shards) before its first write. Refusing that row for OWNER makes every try of the
    // events consumer throw for this owner's events, so the queue gives up on them.
    worker.sql(`CREATE TRIGGER ${TRIGGER} BEFORE INSERT ON history_shards WHEN NEW.key = '${OWNER}' BEGIN SELECT RAISE(ABORT, 'refused by the dead-letter e2e test'); END`);

    story.sentAt = Date.now();
    // One request each: a batch request's events travel packed in one queue message (one dead letter).
    for (let n = 0; n < BULK; n += 10) {
      const sent = await Promise.all(
        Array.from({ length: Math.min(10, BULK - n) }, (_, k) =>
          worker.api("POST", "/v1/events", { owner_id: OWNER, event_type: "order.bulk", payload: { n: n + k } }),
        ),
      );
      for (const res of sent) expect(res.status).toBe(202);
    }
    // Sent last, so it is the newest dead letter: the first card on the page.
    await new Promise((r) => setTimeout(r, 50));
    const headline = await worker.api("POST", "/v1/events", { owner_id: OWNER, event_type: "order.lost", payload: { order: 7, note: "dead-lettered on purpose" } });
    expect(headline.status).toBe(202);
    story.eventId = headline.json.id;

    // Accepted, yet never stored: the consumer's write is what fails. Judged below, once the queue has given up
    // on every message (no later try can store or deliver it), not after a fixed sleep.
  });

  it("shows an owner key the API's refusal readably, and does not offer it the page", async (ctx) => {
    if (!story.eventId) ctx.skip("needs the dead letters above");
    const key = await worker.api("POST", "/v1/api-keys", { name: "dlq-owner", owner_id: OWNER });
    expect(key.status).toBe(201);
    const owner = await openPage(browser, DESKTOP);
    try {
      await signIn(owner.page, key.json.key);
      expect(await owner.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dead letters" }).count()).toBe(0);
      await owner.page.goto(`${worker.url}/#/dead-letters`);
      const alert = owner.page.getByRole("alert");
      await expect.poll(() => alert.textContent(), SLOW).toContain("This action needs the admin key.");
      expect(await alert.textContent()).toContain("HTTP 403 · forbidden");
      // Trying again cannot change a refusal, so it is not offered.
      expect(await alert.getByRole("button", { name: "Try again" }).count()).toBe(0);
      expect(await owner.page.getByTestId("dead-letter").count()).toBe(0);
      expect(await owner.page.getByRole("button", { name: "Load more" }).count()).toBe(0);
      await screenshot(owner.page, SHOTS, "dead-letters-owner-refused");
      // The refused fetch itself is the only error the browser logged.
      expect(owner.consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 403/.test(e))).toEqual([]);
    } finally {
      await owner.context.close();
    }
  });

  it("lists the dead letters once the retries run out: what, when, why, and a second page", async (ctx) => {
    if (!story.eventId) ctx.skip("needs the dead letters above");
    // 11 tries 5 s apart: about a minute after sending.
    const all = await waitFor(async () => {
      const rows = await listDeadLetters();
      return rows.length >= BULK + 1 ? rows : null;
    }, 180_000, 1000);
    console.log(JSON.stringify({ dead_letters: all.length, seconds_until_dead_lettered: Math.round((Date.now() - story.sentAt) / 1000) }));
    expect(all).toHaveLength(BULK + 1);
    // Every message is dead-lettered, so none is tried again: the events were never stored nor delivered.
    expect((await worker.api("GET", `/v1/events/${story.eventId}`)).status).toBe(404);
    expect(receiver.received).toHaveLength(0);
    story.deadLetterId = all.find((d) => d.body.id === story.eventId)!.id;
    expect(all[0]!.id).toBe(story.deadLetterId);

    await page.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => cards().count(), SLOW).toBe(DEAD_LETTERS_PAGE_SIZE);
    const first = cards().first();
    expect(await first.getAttribute("data-id")).toBe(story.deadLetterId);
    expect(await first.getAttribute("data-status")).toBe("dead");
    const text = (await first.textContent())!;
    for (const part of ["Event", "dead", "hookrelay-events", "dead-lettered", "order.lost", story.eventId, OWNER, "events consumer could not store"]) {
      expect(text).toContain(part);
    }
    expect(await first.getByRole("button", { name: "Redrive" }).isEnabled()).toBe(true);

    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(() => cards().count(), SLOW).toBe(BULK + 1);
    expect(await page.getByRole("button", { name: "Load more" }).count()).toBe(0);
    await screenshot(page, SHOTS, "dead-letters");

    // The queue filter asks the API (?queue=): nothing died in the retries queue.
    await page.getByLabel("Queue", { exact: true }).selectOption("hookrelay-retries");
    await expect.poll(() => page.getByText("No dead letters from hookrelay-retries.").isVisible(), SLOW).toBe(true);
    await page.getByLabel("Queue", { exact: true }).selectOption("hookrelay-events");
    await expect.poll(() => cards().count(), SLOW).toBe(DEAD_LETTERS_PAGE_SIZE);
  }, 240_000);

  it("opens the message body and redrives by keyboard, confirms, shows the result, and the event is delivered", async (ctx) => {
    if (!story.deadLetterId) ctx.skip("no dead letter was listed");
    worker.sql(`DROP TRIGGER ${TRIGGER}`);
    const first = cards().first();

    // From the filter, Tab reaches the first card's actions in reading order.
    await page.getByLabel("Queue", { exact: true }).focus();
    await page.keyboard.press("Tab");
    expect(await activeText(page)).toBe("Redrive");
    expect(await page.evaluate(() => document.activeElement?.closest<HTMLElement>("[data-testid=dead-letter]")?.dataset.id)).toBe(story.deadLetterId);
    await page.keyboard.press("Tab");
    expect(await activeText(page)).toBe("Open event");
    await page.keyboard.press("Tab");
    expect(await activeText(page)).toBe("Message body");
    await page.keyboard.press("Enter");
    const payload = first.getByLabel("Event payload", { exact: true });
    await expect.poll(() => payload.isVisible(), SLOW).toBe(true);
    expect(JSON.parse((await payload.textContent())!)).toEqual({ order: 7, note: "dead-lettered on purpose" });
    const message = JSON.parse((await first.getByLabel("Queue message", { exact: true }).textContent())!);
    expect(message).toMatchObject({ kind: "event", id: story.eventId, owner_id: OWNER, event_type: "order.lost" });

    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    expect(await activeText(page)).toBe("Redrive");
    await page.keyboard.press("Enter");
    await expect.poll(() => first.getByTestId("redrive-result").textContent(), SLOW).toContain("Sent back to hookrelay-events at");
    expect(dialogs).toEqual(["Send this message back to hookrelay-events?"]);
    expect(await first.getAttribute("data-status")).toBe("redriven");
    expect(await first.getByRole("button", { name: "Redrive again" }).isVisible()).toBe(true);
    await screenshot(page, SHOTS, "dead-letters-redriven");

    // The redriven message runs through the real consumer: stored, fanned out, delivered once.
    const delivered = await waitFor(async () => receiver.received.find((r) => r.headers["webhook-id"] === story.eventId), 60_000);
    expect(JSON.parse(delivered.body)).toEqual({ order: 7, note: "dead-lettered on purpose" });
    expect((await worker.api("GET", `/v1/events/${story.eventId}`)).status).toBe(200);
    // Only the redriven one: the other dead letters stay dead until someone redrives them.
    expect(receiver.received).toHaveLength(1);

    // The list reflects the redrive from the server too: a fresh load, with none of the button's local state.
    const listed = (await listDeadLetters()).find((d) => d.id === story.deadLetterId)!;
    expect(listed.redriven_at).not.toBeNull();
    await page.reload();
    await expect.poll(() => cards().count(), SLOW).toBe(DEAD_LETTERS_PAGE_SIZE);
    expect(await cards().first().getAttribute("data-status")).toBe("redriven");
    expect(await cards().first().textContent()).toContain("last redriven");
    expect(await cards().first().getByTestId("redrive-result").textContent()).toBe("");
    expect(await page.locator('[data-testid="dead-letter"][data-status="dead"]').count()).toBe(DEAD_LETTERS_PAGE_SIZE - 1);

    await cards().first().getByRole("link", { name: "Open event" }).click();
    await expect.poll(() => page.getByTestId("event-type").textContent(), SLOW).toBe("order.lost");
  });

  it("fits a phone: no sideways scrolling, the body readable in its own scroll box", async (ctx) => {
    if (!story.deadLetterId) ctx.skip("no dead letter was listed");
    const phone = await openPage(browser, PHONE);
    try {
      await signIn(phone.page, worker.adminKey);
      await phone.page.goto(`${worker.url}/#/dead-letters`);
      const first = phone.page.getByTestId("dead-letter").first();
      await expect.poll(() => first.getAttribute("data-status"), SLOW).toBe("redriven");
      await first.locator("summary").click();
      await expect.poll(() => first.getByLabel("Queue message", { exact: true }).isVisible(), SLOW).toBe(true);
      const layout = await phone.page.evaluate(() => ({
        width: document.documentElement.scrollWidth,
        // Named in the failure message: which elements stick out past the screen's edge.
        outside: [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map((e) => `${e.tagName}.${e.className}`),
      }));
      expect(layout.width, JSON.stringify(layout.outside)).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, SHOTS, "dead-letters-390");
      expect(phone.consoleErrors).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  it("logged no browser errors", () => {
    expect(consoleErrors).toEqual([]);
  });
});
