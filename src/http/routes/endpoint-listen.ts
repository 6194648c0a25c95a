// GET /v1/endpoints/{id}/listen — the WebSocket `hookrelay listen` holds for a relay endpoint (API.md "SDK and
// CLI"). The key, owner and kind are checked here, before the upgrade, so refusals are plain problem+json;
// the socket itself lives in the endpoint's EndpointDO (delivery/relay-channel.ts), which sends deliveries over it.
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import { getEndpoint } from "../../db/repos/endpoints";
import { endpointStub } from "../../delivery/endpoint-client";
import { RELAY_HANDOFF_HEADERS } from "../../delivery/relay-channel";
import { isIdOf } from "../../domain/ids";
import { AppError } from "../errors";
import { assertOwns } from "../middleware/auth";
import { createRouter, errorResponses, problem, security } from "../openapi";

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "ep_01jd5m3x7q0000000000000000" }) });

export const endpointListenRoutes = createRouter();

endpointListenRoutes.openapi(
  createRoute({
    method: "get",
    path: "/{id}/listen",
    tags: ["Endpoints"],
    summary: "Listen to a relay endpoint's deliveries (WebSocket)",
    description:
      "WebSocket upgrade for `hookrelay listen`. HookRelay sends each delivery as a text frame " +
      '`{"delivery_id","attempt","headers":{…},"body":"<exact bytes>"}`; the listener answers ' +
      '`{"delivery_id","attempt","status_code"|null,"duration_ms","response_body"?,"error"?}`, recorded as that attempt ' +
      "(2xx = success, anything else follows the endpoint's retry policy). While no listener is connected the " +
      "endpoint's deliveries are `held`; they flow when one connects. Admin key or the endpoint owner's key.",
    security,
    request: { params: IdParam },
    responses: {
      101: { description: "Switching protocols: the listener is connected" },
      ...errorResponses,
      409: problem("The endpoint is not a relay endpoint (kind http)"),
      426: problem("Not a WebSocket upgrade request"),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const endpoint = isIdOf("ep", id) ? await getEndpoint(getDb(c.env.DB), id) : undefined;
    if (!endpoint) throw new AppError("not_found", "Endpoint not found.");
    const principal = c.get("principal");
    assertOwns(principal, endpoint.ownerId, "Endpoint");
    // A listener takes deliveries and records their attempts: API keys only, never a portal session.
    if (principal.kind === "owner" && principal.portal) throw new AppError("forbidden", "Portal sessions cannot listen to relay endpoints; use an API key.");
    if (endpoint.kind !== "relay") {
      throw new AppError("conflict", `Endpoint ${endpoint.id} delivers to its URL; only endpoints of kind "relay" can be listened to.`);
    }
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new AppError("upgrade_required", "This URL speaks WebSocket only: send an Upgrade: websocket request.", undefined, {
        upgrade: "websocket",
        connection: "Upgrade",
      });
    }
    // Identity travels in headers the Worker sets; the object needs no credentials and gets none.
    const headers = new Headers(c.req.raw.headers);
    headers.delete("authorization");
    headers.set(RELAY_HANDOFF_HEADERS.endpointId, endpoint.id);
    headers.set(RELAY_HANDOFF_HEADERS.ownerId, endpoint.ownerId);
    headers.set(RELAY_HANDOFF_HEADERS.keyId, principal.kind === "owner" ? principal.keyId : "admin");
    headers.set(RELAY_HANDOFF_HEADERS.requestId, c.get("requestId"));
    const res = await endpointStub(c.env, endpoint.id).fetch(new Request(c.req.url, { method: "GET", headers }));
    // A fresh Response: the stub's has immutable headers, and middleware adds x-request-id.
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: res.headers, webSocket: res.webSocket }) as never;
  },
);
