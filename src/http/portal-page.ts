// GET /portal: the dashboard's page, served by the Worker (wrangler.toml run_worker_first) so that it can carry
// the frame-ancestors policy PORTAL_FRAME_ANCESTORS allows. Every other page is served straight from the
// assets, whose dashboard/public/_headers forbids framing outright.
import type { Context } from "hono";
import type { AppEnv } from "../env";

export async function servePortalPage(c: Context<AppEnv>): Promise<Response> {
  // The single-page app's one HTML file; the portal reads its own token from the URL fragment.
  const asset = await c.env.ASSETS.fetch(new Request(new URL("/", c.req.url), { headers: { accept: "text/html" } }));
  const headers = new Headers(asset.headers);
  headers.set("content-security-policy", `frame-ancestors ${c.get("config").portalFrameAncestors}`);
  // X-Frame-Options has no allow-list; browsers that know frame-ancestors ignore it, older ones would deny all.
  headers.delete("x-frame-options");
  // The page is the same for every link, but the policy may change with the setting: never cache it.
  headers.set("cache-control", "no-store");
  headers.set("referrer-policy", "no-referrer");
  headers.delete("etag");
  return new Response(asset.body, { status: asset.status, headers });
}
