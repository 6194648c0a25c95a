// GET /docs: the API reference page. Swagger UI comes from the pinned `swagger-ui-dist` package, copied
// into the static assets at build time (scripts/build-dashboard.mjs), so the page loads nothing from
// another origin; the CSP below makes that a rule the browser enforces, not just a habit of this HTML.
import type { Context } from "hono";

export const DOCS_ASSET_BASE = "/docs-ui";

/**
 * Scripts only from this origin (two files, no inline code); styles from this origin plus the inline
 * `style` attributes Swagger UI sets while rendering; fetches only to this origin (/openapi.json and
 * "Try it out" calls). Nothing may frame the page or change its base URL.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const DOCS_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>HookRelay API reference</title>
    <link rel="stylesheet" href="${DOCS_ASSET_BASE}/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"><noscript>The API reference needs JavaScript; the raw OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</noscript></div>
    <script src="${DOCS_ASSET_BASE}/swagger-ui-bundle.js"></script>
    <script src="${DOCS_ASSET_BASE}/init.js"></script>
  </body>
</html>
`;

export function docsPage(c: Context): Response {
  return c.html(DOCS_HTML, 200, {
    "content-security-policy": DOCS_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
}
