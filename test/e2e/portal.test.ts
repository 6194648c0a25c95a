// The customer portal in a real browser: Debian's Chromium (playwright-core) against a real `wrangler dev`
// serving the built dashboard. A portal link opens the dashboard as one owner; read-only links cannot write;
// expired and revoked links end on the expiry page; only PORTAL_FRAME_ANCESTORS may frame the portal, and
// nothing may frame the admin dashboard. Screenshots go to test-artifacts/portal/.
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, openPage, PHONE, screenshot, screenshotDir } from "./support/browser";
import { freePort, startWorker, type RunningWorker } from "./support/worker";

const SHOTS = screenshotDir("portal");
/** expect.poll's default 1 s is too short for a page load plus API round trips on a busy 2-core machine. */
const SLOW = { timeout: 15_000 };
const OWNER = "portal-acme";
const OTHER = "portal-globex";
const THEME = { primary_color: "#0a7d4f", logo_url: "https://cdn.acme.test/logo.png" };

let worker: RunningWorker;
let browser: Browser;
let embedder: Server;
let embedderOrigin = "";
const contexts: BrowserContext[] = [];
let lastPage: Page | undefined;
const endpoints = { mine: "", theirs: "" };

/** A page whose HTML the test sets: another origin that tries to frame the portal and the admin dashboard. */
let embedderHtml = "";

beforeAll(async () => {
  const build = spawnSync("node", ["scripts/build-dashboard.mjs"], { encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } });
  if (build.status !== 0) throw new Error(`dashboard build failed:\n${build.stdout}\n${build.stderr}`);

  const embedderPort = await freePort();
  embedderOrigin = `http://127.0.0.1:${embedderPort}`;
  embedder = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(embedderHtml);
  });
  await new Promise<void>((resolve) => embedder.listen(embedderPort, "127.0.0.1", resolve));

  worker = await startWorker({ vars: { PORTAL_FRAME_ANCESTORS: embedderOrigin } });
  browser = await launchBrowser();

  const mine = await worker.api("POST", "/v1/endpoints", { url: "https://acme.example/hook", owner_id: OWNER, description: "acme's endpoint" });
  const theirs = await worker.api("POST", "/v1/endpoints", { url: "https://globex.example/hook", owner_id: OTHER });
  expect(mine.status).toBe(201);
  expect(theirs.status).toBe(201);
  endpoints.mine = mine.json.id;
  endpoints.theirs = theirs.json.id;
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await new Promise((resolve) => embedder?.close(resolve));
  await worker?.stop();
});

afterEach(async ({ task }) => {
  if (task.result?.state === "fail" && lastPage) {
    await screenshot(lastPage, SHOTS, `failed-${task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`).catch(() => undefined);
  }
});

/** A fresh browser context (its own sessionStorage) for each visitor. */
async function newVisitor(viewport?: { width: number; height: number }): Promise<{ page: Page; consoleErrors: string[] }> {
  const opened = await openPage(browser, viewport);
  contexts.push(opened.context);
  opened.page.on("dialog", (dialog) => void dialog.accept());
  lastPage = opened.page;
  return opened;
}

async function createLink(body: Record<string, unknown>): Promise<{ id: string; url: string; token: string }> {
  const res = await worker.api("POST", "/v1/portal-links", body);
  expect(res.status, res.text).toBe(201);
  // The API builds the url from the request's origin; wrangler dev answers on this loopback port.
  const url = String(res.json.url);
  expect(url).toMatch(new RegExp(`^${worker.url}/portal#token=hrp_`));
  return { id: res.json.id, url, token: url.split("#token=")[1]! };
}

async function expectExpiryPage(page: Page) {
  await expect.poll(() => page.getByTestId("portal-gate").getAttribute("data-state"), SLOW).toBe("expired");
  expect(await page.getByRole("heading", { name: "This link has expired" }).isVisible()).toBe(true);
  // Nothing of the owner's dashboard is left on screen.
  expect(await page.locator("nav").count()).toBe(0);
  expect(await page.evaluate(() => window.sessionStorage.getItem("hookrelay.portal"))).toBeNull();
}

describe("frame and security headers", () => {
  it("serves the admin dashboard as never frameable and the portal page with PORTAL_FRAME_ANCESTORS", async () => {
    const admin = await fetch(`${worker.url}/`);
    expect(admin.status).toBe(200);
    expect(await admin.text()).toContain('<div id="root">');
    expect(admin.headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
    expect(admin.headers.get("x-frame-options")).toBe("DENY");
    // A deep link falls back to the same page (single-page app) with the same headers.
    const deep = await fetch(`${worker.url}/anything/else`);
    expect(deep.headers.get("content-security-policy")).toBe("frame-ancestors 'none'");

    const portal = await fetch(`${worker.url}/portal`);
    expect(portal.status).toBe(200);
    expect(await portal.text()).toContain('<div id="root">');
    expect(portal.headers.get("content-security-policy")).toBe(`frame-ancestors ${embedderOrigin}`);
    expect(portal.headers.get("x-frame-options")).toBeNull();
    expect(portal.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("in Chromium, the allowed origin can frame the portal but not the admin dashboard", async () => {
    const { token } = await createLink({ owner_id: OWNER, owner_name: "Acme Corp" });
    embedderHtml = `<!doctype html><title>embedder</title>
      <iframe name="portal" src="${worker.url}/portal#token=${token}" width="900" height="500"></iframe>
      <iframe name="admin" src="${worker.url}/" width="900" height="500"></iframe>`;
    const { page } = await newVisitor();
    await page.goto(embedderOrigin);
    const portalFrame = page.frame({ name: "portal" })!;
    await expect.poll(() => portalFrame.getByTestId("portal-owner").textContent().catch(() => null), SLOW).toBe("Acme Corp");
    // The admin frame is blocked by frame-ancestors 'none': Chromium puts its error page there, not the app.
    const adminFrame = page.frame({ name: "admin" })!;
    await expect.poll(() => adminFrame.url(), SLOW).not.toBe(`${worker.url}/`);
    expect(await adminFrame.locator("#root").count()).toBe(0);
    await screenshot(page, SHOTS, "embedded");
  });
});

describe("portal in Chromium", () => {
  it("opens a link as its owner: token out of the address bar, owner's pages only, theme applied", async () => {
    const { token } = await createLink({ owner_id: OWNER, owner_name: "Acme Corp", theme: THEME });
    const { page, consoleErrors } = await newVisitor();
    await page.goto(`${worker.url}/portal#token=${token}`);
    await expect.poll(() => page.getByTestId("portal-owner").textContent(), SLOW).toBe("Acme Corp");
    expect(await page.getByTestId("signed-in-as").textContent()).toBe(`Owner · ${OWNER}`);
    // The token left the address bar (and the history entry) as soon as the portal read it.
    expect(page.url()).toBe(`${worker.url}/portal#/`);
    // about:blank, then the portal: replaceState swapped the token URL's entry instead of adding one after it.
    expect(await page.evaluate(() => window.history.length)).toBe(2);
    expect(await page.evaluate(() => window.sessionStorage.getItem("hookrelay.session"))).toBeNull();
    expect(await page.evaluate(() => window.localStorage.length)).toBe(0);

    // Theme: the link's colour is the accent; its logo is in the header.
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--accent").trim())).toBe(THEME.primary_color);
    expect(await page.getByTestId("portal-logo").getAttribute("src")).toBe(THEME.logo_url);

    // Navigation: the owner's pages, no admin pages, no sources.
    const nav = await page.getByRole("navigation", { name: "Main" }).locator("a").allTextContents();
    expect(nav).toEqual(["Overview", "Endpoints", "Events", "Settings"]);

    await page.goto(`${worker.url}/portal#/endpoints`);
    await expect.poll(() => page.locator("table").textContent().catch(() => ""), SLOW).toContain("https://acme.example/hook");
    expect(await page.locator("table").textContent()).not.toContain("globex");
    expect(await page.locator("table tbody tr").count()).toBe(1);
    await screenshot(page, SHOTS, "portal-endpoints");

    // Settings: the owner's notification channels, but no API keys.
    await page.goto(`${worker.url}/portal#/settings`);
    await expect.poll(() => page.getByRole("heading", { name: "Notification channels" }).isVisible(), SLOW).toBe(true);
    expect(await page.getByRole("heading", { name: /API keys/i }).count()).toBe(0);
    // A typed-in address of another owner's endpoint shows the API's not-found, not its data.
    await page.goto(`${worker.url}/portal#/endpoints/${endpoints.theirs}`);
    await expect.poll(() => page.getByRole("alert").textContent().catch(() => ""), SLOW).toContain("404");
    expect(await page.content()).not.toContain("globex.example");
    expect(consoleErrors.filter((e) => !/404|Failed to load resource/.test(e))).toEqual([]);
  });

  it("creates an endpoint for its owner (and only its owner)", async () => {
    const { token } = await createLink({ owner_id: OWNER });
    const { page } = await newVisitor();
    await page.goto(`${worker.url}/portal#token=${token}`);
    await expect.poll(() => page.getByTestId("signed-in-as").textContent(), SLOW).toBe(`Owner · ${OWNER}`);
    await page.goto(`${worker.url}/portal#/endpoints`);
    await page.getByRole("link", { name: "New endpoint" }).click();
    await page.getByLabel("URL", { exact: true }).fill("https://acme.example/from-portal");
    // The owner field is fixed to the link's owner.
    expect(await page.getByLabel("Owner", { exact: true }).inputValue()).toBe(OWNER);
    expect(await page.getByLabel("Owner", { exact: true }).getAttribute("readonly")).not.toBeNull();
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.waitForURL(/#\/endpoints\/ep_/);
    await expect.poll(() => page.getByTestId("endpoint-url").textContent(), SLOW).toBe("https://acme.example/from-portal");
    const id = decodeURIComponent(new URL(page.url()).hash.split("/")[2]!);
    expect((await worker.api("GET", `/v1/endpoints/${id}`)).json.owner_id).toBe(OWNER);
    // Its actions are there for a writable link.
    for (const name of ["Disable", "Delete", "Rotate secret", "Edit settings", "Add subscription"]) {
      expect(await page.getByRole("button", { name }).isVisible(), name).toBe(true);
    }
    await screenshot(page, SHOTS, "portal-endpoint-created");
  });

  it("a read-only link shows the owner's data without any write button, and cannot create", async () => {
    const { token } = await createLink({ owner_id: OWNER, read_only: true });
    const { page } = await newVisitor();
    await page.goto(`${worker.url}/portal#token=${token}`);
    await expect.poll(() => page.getByTestId("portal-read-only").isVisible(), SLOW).toBe(true);

    await page.goto(`${worker.url}/portal#/endpoints`);
    await expect.poll(() => page.locator("table").textContent().catch(() => ""), SLOW).toContain("https://acme.example/hook");
    expect(await page.getByRole("link", { name: "New endpoint" }).count()).toBe(0);

    await page.goto(`${worker.url}/portal#/endpoints/${endpoints.mine}`);
    await expect.poll(() => page.getByTestId("endpoint-url").textContent().catch(() => ""), SLOW).toBe("https://acme.example/hook");
    // It may look (the secret too) ...
    await page.getByRole("button", { name: "Show" }).click();
    expect(await page.getByTestId("endpoint-secret").textContent()).toMatch(/^whsec_/);
    // ... but none of the write actions is offered.
    for (const name of ["Disable", "Delete", "Rotate secret", "Edit settings", "Add subscription", "Retry failed"]) {
      expect(await page.getByRole("button", { name }).count(), name).toBe(0);
    }
    await screenshot(page, SHOTS, "portal-read-only-endpoint");

    // A typed-in create page says so; and the API refuses the write anyway.
    await page.goto(`${worker.url}/portal#/endpoints/new`);
    await expect.poll(() => page.getByText("This portal link is read-only").isVisible(), SLOW).toBe(true);
    expect(await page.getByRole("button", { name: "Create endpoint" }).count()).toBe(0);
    const refused = await worker.api("POST", "/v1/endpoints", { url: "https://acme.example/ro", owner_id: OWNER }, token);
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("forbidden");
  });

  it("an expired link shows the expiry page", async () => {
    const { id, token } = await createLink({ owner_id: OWNER, ttl_seconds: 60 });
    // Sixty seconds pass (the stored expiry moves into the past, as an operator could do with wrangler).
    worker.sql(`UPDATE portal_links SET expires_at = ${Date.now() - 1000} WHERE id = '${id}'`);
    const { page } = await newVisitor();
    await page.goto(`${worker.url}/portal#token=${token}`);
    await expectExpiryPage(page);
    expect(await page.getByTestId("portal-expired-reason").textContent()).toBe("This portal link has expired.");
    expect(page.url()).not.toContain("token=");
    await screenshot(page, SHOTS, "portal-expired");
  });

  it("a revoked link stops working at once, on the next click", async () => {
    const { id, token } = await createLink({ owner_id: OWNER });
    const { page } = await newVisitor();
    await page.goto(`${worker.url}/portal#token=${token}`);
    await page.goto(`${worker.url}/portal#/endpoints`);
    await expect.poll(() => page.locator("table").textContent().catch(() => ""), SLOW).toContain("https://acme.example/hook");

    expect((await worker.api("DELETE", `/v1/portal-links/${id}`)).status).toBe(204);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Events" }).click();
    await expectExpiryPage(page);
    expect(await page.getByTestId("portal-expired-reason").textContent()).toContain("expired or was withdrawn");
    // Reloading does not bring it back: the token is gone from the page and refused by the API.
    await page.reload();
    await expectExpiryPage(page);
    expect((await worker.api("GET", "/v1/endpoints", undefined, token)).status).toBe(401);
    await screenshot(page, SHOTS, "portal-revoked");
  });

  it("the admin makes a link in Settings, a customer opens it, and the admin's revoke ends it", async () => {
    const admin = (await newVisitor()).page;
    await admin.goto(`${worker.url}/`);
    await admin.getByLabel("API key").fill(worker.adminKey);
    await admin.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => admin.getByTestId("signed-in-as").textContent(), SLOW).toBe("Admin · all owners");
    await admin.goto(`${worker.url}/#/settings`);
    const form = admin.getByRole("form", { name: "Create portal link" });
    await form.getByLabel("Link owner").fill(OWNER);
    await form.getByLabel("Name shown").fill("Acme from Settings");
    await form.getByLabel("Valid for").selectOption({ label: "1 day" });
    await form.getByLabel("Accent colour").fill("#7a1fa2");
    await form.getByRole("button", { name: "Create portal link" }).click();
    const url = (await admin.getByTestId("secret-value").textContent({ timeout: SLOW.timeout }))!;
    expect(url).toMatch(new RegExp(`^${worker.url}/portal#token=hrp_`));
    const listed = (await worker.api("GET", `/v1/portal-links?owner_id=${OWNER}`)).json.data[0];
    expect(listed).toMatchObject({ owner_name: "Acme from Settings", read_only: false, status: "active", theme: { primary_color: "#7a1fa2" } });
    expect(Date.parse(listed.expires_at) - Date.parse(listed.created_at)).toBe(86_400_000);
    await screenshot(admin, SHOTS, "admin-portal-links");

    const customer = (await newVisitor()).page;
    await customer.goto(url);
    await expect.poll(() => customer.getByTestId("portal-owner").textContent(), SLOW).toBe("Acme from Settings");
    expect(await customer.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--accent").trim())).toBe("#7a1fa2");

    await admin.locator(`[data-link-id="${listed.id}"]`).getByRole("button", { name: "Revoke" }).click();
    await expect.poll(() => admin.locator(`[data-link-id="${listed.id}"]`).textContent(), SLOW).toContain("revoked");
    lastPage = customer;
    await customer.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Endpoints" }).click();
    await expectExpiryPage(customer);
  });

  it("fits a 390 px phone screen, header with logo, long owner name and read-only badge included", async () => {
    const { token } = await createLink({ owner_id: OWNER, owner_name: "Acme Corporation International Holdings", read_only: true, theme: THEME });
    const { page } = await newVisitor(PHONE);
    await page.goto(`${worker.url}/portal#token=${token}`);
    await expect.poll(() => page.getByTestId("portal-read-only").isVisible(), SLOW).toBe(true);
    for (const hash of ["#/", "#/endpoints", `#/endpoints/${endpoints.mine}`, "#/events", "#/settings"]) {
      await page.goto(`${worker.url}/portal${hash}`);
      await expect.poll(() => page.locator(".loading").count(), SLOW).toBe(0);
      // Elements sticking out past the screen edge (outside any scroll box), named so a failure says what.
      const overflowing = await page.evaluate(() =>
        [...document.querySelectorAll("body *")]
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
          .filter((el) => {
            for (let p = el.parentElement; p; p = p.parentElement) if (/(auto|scroll|hidden)/.test(getComputedStyle(p).overflowX)) return false;
            return true;
          })
          .map((el) => `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? "").slice(0, 40)}"`),
      );
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect({ hash, overflowing, scrollWidth }).toEqual({ hash, overflowing: [], scrollWidth: PHONE.width });
    }
    await page.goto(`${worker.url}/portal#/endpoints/${endpoints.mine}`);
    await expect.poll(() => page.getByTestId("endpoint-url").textContent().catch(() => ""), SLOW).toBe("https://acme.example/hook");
    await screenshot(page, SHOTS, "portal-phone-endpoint");
  });

  it("never puts the token in the Worker's logs", () => {
    expect(worker.logs.join("")).not.toMatch(/hrp_[A-Za-z0-9_-]{20,}/);
  });
});
