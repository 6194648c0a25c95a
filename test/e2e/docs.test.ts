// /docs loads from our own origin only: the page and every asset it names come from `wrangler dev`, carry no
// URL of another origin, and the page renders the whole reference in Chromium with every non-loopback
// request refused (no network but loopback), under its strict CSP.
import { spawnSync } from "node:child_process";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DESKTOP, launchBrowser, openPage, PHONE, screenshot, screenshotDir } from "./support/browser";
import { startWorker, type RunningWorker } from "./support/worker";

const SHOTS = screenshotDir("docs");
let worker: RunningWorker;
let browser: Browser;

beforeAll(async () => {
  const build = spawnSync("node", ["scripts/build-dashboard.mjs"], { encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } });
  if (build.status !== 0) throw new Error(`dashboard build failed:\n${build.stdout}\n${build.stderr}`);
  worker = await startWorker();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

/** Absolute URLs in markup or CSS that a browser would fetch: src/href attributes and CSS url(…). */
function fetchedUrls(text: string): string[] {
  const attrs = [...text.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/g)].map((m) => m[1]!);
  const css = [...text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map((m) => m[1]!);
  return [...attrs, ...css];
}

const external = (url: string) => /^(https?:)?\/\//i.test(url);

describe("/docs", () => {
  it("is served with a strict CSP and references only its own origin", async () => {
    const res = await fetch(`${worker.url}/docs`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval|https?:|\*)/);
    expect(csp).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>\s*\S/); // no inline script
    const urls = fetchedUrls(html);
    expect(urls.length).toBeGreaterThanOrEqual(3);
    expect(urls.filter(external)).toEqual([]);

    // Every asset it names is ours, served, and names nothing external in turn (CSS url(), init script).
    for (const url of urls) {
      const asset = await fetch(new URL(url, worker.url));
      expect(asset.status, url).toBe(200);
      const text = await asset.text();
      if (url.endsWith(".css") || url.endsWith("init.js")) expect(fetchedUrls(text).filter(external), url).toEqual([]);
      if (url.endsWith("init.js")) expect(text).toContain('url: "/openapi.json"');
    }
  });

  for (const [label, viewport] of [["desktop", DESKTOP], ["phone", PHONE]] as const) {
    it(`renders the whole reference offline in Chromium (${label})`, async () => {
      const { context, page, consoleErrors } = await openPage(browser, viewport);
      const origin = new URL(worker.url).origin;
      const refused: string[] = [];
      // No network but loopback: anything for another origin is recorded and aborted.
      await context.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith(origin) || url.startsWith("data:")) return route.continue();
        refused.push(url);
        return route.abort("internetdisconnected");
      });
      try {
        await page.goto(`${worker.url}/docs`);
        // Swagger UI renders one block per operation once it has fetched and parsed /openapi.json.
        await page.locator(".opblock").first().waitFor({ timeout: 30_000 });
        const operations = await page.locator(".opblock").count();
        expect(operations).toBeGreaterThan(40);
        expect(await page.locator(".info .title").first().innerText()).toContain("HookRelay API");
        expect(await page.locator("body").innerText()).toContain("/v1/endpoints/{id}/test");
        await screenshot(page, SHOTS, `docs-${label}`);
        expect(refused).toEqual([]);
        expect(consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
        expect(consoleErrors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
