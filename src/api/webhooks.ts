import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { z } from "zod";
import { webhookEgress } from "../core/config";
import { AppError } from "../core/errors";
import { EventTypeSchema } from "../core/event-types";
import { newId } from "../core/ids";
import { DeliveryStateSchema, newWebhookSecret, WebhookSecretSchema } from "../core/webhook";
import { checkWebhookTarget } from "../core/webhook-target";
import { webhooks } from "../store/schema";
import { deleteDeliveryState, readDeliveryState } from "../store/webhook-deliveries";
import { BODY_ERRORS, errorResponses, HEADERS, jsonBody, jsonResponse, pageOf, router } from "./openapi";
import { sessionStub } from "./session-stub";
import type { AppEnv } from "./types";

export const webhooksApi = router();

/**
 * Tells a session's object its webhooks changed, so the change applies at once rather than when its cached list
 * expires (tenant-wide webhooks still wait for that: every session would have to be told). Best effort: the
 * webhook is stored either way, and the cache expires within seconds.
 */
async function notifySession(c: Context<AppEnv>, sessionId: string): Promise<void> {
  try {
    await sessionStub(c, sessionId).webhooksChanged();
  } catch {
    /* the object is unreachable or the id names no session; the cache expiry covers it */
  }
}

const WebhookSchema = z
  .object({
    id: z.string(),
    session_id: z.string().nullable(),
    url: z.string(),
    types: z.array(z.string()).nullable(),
    created_at: z.string(),
    secret: z.string().optional(),
  })
  .meta({ id: "Webhook" });
const CreateWebhookSchema = z
  .object({
    // Judged by checkWebhookTarget in the handler, which names the reason a target is refused.
    url: z.string().min(1).max(2048).describe("https URL on a public host; loopback only under WEBHOOK_ALLOW_LOOPBACK (development)"),
    session_id: z
      .string()
      .regex(/^ses_[0-9a-f]{32}$/)
      .nullable()
      .optional(),
    types: z.array(EventTypeSchema).min(1).optional(),
    secret: WebhookSecretSchema.optional().describe("whsec_ + base64 of 24–64 bytes; generated when absent"),
  })
  .meta({ id: "CreateWebhookRequest" });
const WebhookWithStateSchema = WebhookSchema.omit({ secret: true })
  .extend({ delivery: DeliveryStateSchema })
  .meta({ id: "WebhookWithDelivery" });
const WebhookIdParams = z.object({ wid: z.string().min(1).max(64) });
type WebhookRow = typeof webhooks.$inferSelect;

function present(r: WebhookRow) {
  return { id: r.id, session_id: r.sessionId, url: r.url, types: r.types, created_at: r.createdAt };
}

webhooksApi.openapi(
  createRoute({
    method: "post",
    path: "/webhooks",
    tags: ["fan-out"],
    operationId: "createWebhook",
    summary:
      "Subscribe a URL to a session's events (session_id) or to every session of the tenant; events are POSTed in order, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). Targets on loopback, private, link-local, CGNAT or metadata addresses and URLs with credentials are refused (400, details.reason)",
    request: jsonBody(CreateWebhookSchema),
    responses: {
      201: jsonResponse(WebhookSchema, "The webhook, with its secret (shown once)", HEADERS.location),
      ...errorResponses(...BODY_ERRORS),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const target = checkWebhookTarget(body.url, webhookEgress(c.env));
    if (!target.ok) throw new AppError("validation_error", target.message, { field: "url", reason: target.reason });
    const row = {
      id: newId("wh"),
      tenantId: c.get("tenantId"),
      sessionId: body.session_id ?? null,
      url: target.url,
      secret: body.secret ?? newWebhookSecret(),
      types: body.types ?? null,
      createdAt: new Date().toISOString(),
    };
    await drizzle(c.env.DB).insert(webhooks).values(row);
    if (row.sessionId) await notifySession(c, row.sessionId);
    c.header("location", `/v1/webhooks/${row.id}`);
    return c.json({ ...present(row), secret: row.secret }, 201);
  },
);

webhooksApi.openapi(
  createRoute({
    method: "get",
    path: "/webhooks",
    tags: ["fan-out"],
    operationId: "listWebhooks",
    summary: "List the tenant's webhooks (secrets are not returned)",
    responses: {
      200: jsonResponse(pageOf(WebhookSchema, "WebhookPage"), "Webhooks (one page: next_cursor is always null)"),
      ...errorResponses(),
    },
  }),
  async (c) => {
    const rows = await drizzle(c.env.DB)
      .select()
      .from(webhooks)
      .where(eq(webhooks.tenantId, c.get("tenantId")));
    return c.json({ items: rows.map(present), next_cursor: null }, 200);
  },
);

webhooksApi.openapi(
  createRoute({
    method: "get",
    path: "/webhooks/{wid}",
    tags: ["fan-out"],
    operationId: "getWebhook",
    summary: "A webhook with its delivery state: per session, the cursor, last attempt, last error, consecutive failures and next retry",
    request: { params: WebhookIdParams },
    responses: { 200: jsonResponse(WebhookWithStateSchema, "The webhook (without its secret)"), ...errorResponses(404) },
  }),
  async (c) => {
    const { wid } = c.req.valid("param");
    const tenantId = c.get("tenantId");
    const [row] = await drizzle(c.env.DB)
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.tenantId, tenantId), eq(webhooks.id, wid)));
    if (!row) throw new AppError("not_found", `Webhook ${wid} not found`);
    return c.json({ ...present(row), delivery: await readDeliveryState(c.env.DB, tenantId, wid) }, 200);
  },
);

webhooksApi.openapi(
  createRoute({
    method: "delete",
    path: "/webhooks/{wid}",
    tags: ["fan-out"],
    operationId: "deleteWebhook",
    summary: "Remove a webhook",
    request: { params: WebhookIdParams },
    responses: {
      200: jsonResponse(z.object({ id: z.string(), deleted: z.literal(true) }).meta({ id: "DeletedWebhook" }), "Deleted"),
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const { wid } = c.req.valid("param");
    const result = await drizzle(c.env.DB)
      .delete(webhooks)
      .where(and(eq(webhooks.tenantId, c.get("tenantId")), eq(webhooks.id, wid)))
      .returning({ id: webhooks.id, sessionId: webhooks.sessionId });
    if (result.length === 0) throw new AppError("not_found", `Webhook ${wid} not found`);
    await deleteDeliveryState(c.env.DB, c.get("tenantId"), wid);
    if (result[0]!.sessionId) await notifySession(c, result[0]!.sessionId);
    return c.json({ id: wid, deleted: true as const }, 200);
  },
);
