// POST /v1/endpoints/{id}/test — a test event for one endpoint (API.md "Test events"): accepted through the
// normal accept()/events-queue path with `only_endpoint_id`, so it is stored, signed, delivered and recorded
// like any other event, but reaches only this endpoint and consults no subscription.
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import { getEndpoint } from "../../db/repos/endpoints";
import { deliveryId, isIdOf } from "../../domain/ids";
import { EventType } from "../../domain/schemas";
import { accept } from "../../ingest/accept";
import { AppError } from "../errors";
import { assertOwns } from "../middleware/auth";
import { createRouter, errorResponses, jsonResponse, security } from "../openapi";

export const TEST_EVENT_TYPE = "hookrelay.test";

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "ep_01jd5m3x7q0000000000000000" }) });

const TestEventInput = z
  .object({
    event_type: EventType.optional().openapi({ description: `Default "${TEST_EVENT_TYPE}".` }),
    payload: z
      .unknown()
      .optional()
      .openapi({ description: 'Any JSON. Default {"test": true, "endpoint_id", "sent_at"}.' }),
  })
  .strict()
  .openapi("EndpointTestEventInput");

const TestEventAccepted = z
  .object({
    event_id: z.string(),
    delivery_id: z.string().openapi({ description: "GET /v1/deliveries/{delivery_id} follows the attempt." }),
  })
  .openapi("EndpointTestEvent");

export const endpointTestRoutes = createRouter();

endpointTestRoutes.openapi(
  createRoute({
    method: "post",
    path: "/{id}/test",
    tags: ["Endpoints"],
    summary: "Send a test event to this endpoint only",
    description:
      "One event delivered to this endpoint alone (subscriptions and filters are not consulted), signed and recorded like any other delivery. The event is listed with the owner's events.",
    security,
    request: {
      params: IdParam,
      body: { required: false, content: { "application/json": { schema: TestEventInput } } },
    },
    responses: { 202: jsonResponse(TestEventAccepted, "Accepted: the delivery is on its way"), ...errorResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const endpoint = isIdOf("ep", id) ? await getEndpoint(getDb(c.env.DB), id) : undefined;
    if (!endpoint) throw new AppError("not_found", "Endpoint not found.");
    const principal = c.get("principal");
    assertOwns(principal, endpoint.ownerId, "Endpoint");
    // A bodiless POST (the dashboard's button, `curl -X POST`) sends the defaults.
    const body = (c.req.header("content-type") ? c.req.valid("json") : undefined) ?? {};
    const payload = body.payload !== undefined ? body.payload : { test: true, endpoint_id: endpoint.id, sent_at: new Date().toISOString() };
    const result = await accept(c.env, {
      events: [{ owner_id: endpoint.ownerId, event_type: body.event_type ?? TEST_EVENT_TYPE, payload }],
      batch: false,
      ownerScope: principal.kind === "owner" ? principal.ownerId : undefined,
      onlyEndpointId: endpoint.id,
    });
    const eventId = result.ids[0]!;
    // The same derivation the fanout consumer uses, so the id is known before the delivery exists.
    return c.json({ event_id: eventId, delivery_id: await deliveryId(eventId, endpoint.id) }, 202);
  },
);
