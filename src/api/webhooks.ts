import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { z } from "zod";
import { AppError } from "../core/errors";
import { EventTypeSchema } from "../core/event-types";
import { newId, randomHex } from "../core/ids";
import { parseJsonColumn } from "../core/json";
import { webhooks } from "../store/schema";
import { errorResponses, jsonBody, jsonResponse, router } from "./openapi";
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

const WebhookSchema = z.object({
  id: z.string(), session_id: z.string().nullable(), url: z.string(), types: z.array(z.string()).nullable(), created_at: z.string(),
  secret: z.string().optional(),
});
const CreateWebhookSchema = z.object({
  url: z.url().refine((u) => u.startsWith("https://") || /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(u), "url must be https (or http on loopback)"),
  session_id: z.string().regex(/^ses_[0-9a-f]{32}$/).nullable().optional(),
  types: z.array(EventTypeSchema).min(1).optional(),
  secret: z.string().min(16).max(256).optional(),
});

webhooksApi.openapi(
  createRoute({
    method: "post", path: "/webhooks", tags: ["fan-out"],
    summary: "Subscribe a URL to a session's events (session_id) or to every session of the tenant; events are POSTed in order, signed (x-asm-signature: t=…,v1=HMAC-SHA256)",
    request: jsonBody(CreateWebhookSchema),
    responses: { 201: jsonResponse(WebhookSchema, "The webhook, with its secret (shown once)"), ...errorResponses },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const row = {
      id: newId("wh"), tenantId: c.get("tenantId"), sessionId: body.session_id ?? null, url: body.url,
      secret: body.secret ?? `whsec_${randomHex(24)}`, types: body.types ? JSON.stringify(body.types) : null, createdAt: new Date().toISOString(),
    };
    await drizzle(c.env.DB).insert(webhooks).values(row);
    if (row.sessionId) await notifySession(c, row.sessionId);
    return c.json({ id: row.id, session_id: row.sessionId, url: row.url, types: body.types ?? null, created_at: row.createdAt, secret: row.secret }, 201);
  },
);

webhooksApi.openapi(
  createRoute({
    method: "get", path: "/webhooks", tags: ["fan-out"], summary: "List the tenant's webhooks (secrets are not returned)",
    responses: { 200: jsonResponse(z.object({ items: z.array(WebhookSchema), next_cursor: z.null() }), "Webhooks"), ...errorResponses },
  }),
  async (c) => {
    const rows = await drizzle(c.env.DB).select().from(webhooks).where(eq(webhooks.tenantId, c.get("tenantId")));
    const items = rows.map((r) => ({ id: r.id, session_id: r.sessionId, url: r.url, types: parseJsonColumn<string[] | null>(r.types, null), created_at: r.createdAt }));
    return c.json({ items, next_cursor: null }, 200);
  },
);

webhooksApi.openapi(
  createRoute({
    method: "delete", path: "/webhooks/{wid}", tags: ["fan-out"], summary: "Remove a webhook",
    request: { params: z.object({ wid: z.string().min(1).max(64) }) },
    responses: { 200: jsonResponse(z.object({ id: z.string(), deleted: z.literal(true) }), "Deleted"), ...errorResponses },
  }),
  async (c) => {
    const { wid } = c.req.valid("param");
    const result = await drizzle(c.env.DB).delete(webhooks).where(and(eq(webhooks.tenantId, c.get("tenantId")), eq(webhooks.id, wid)))
      .returning({ id: webhooks.id, sessionId: webhooks.sessionId });
    if (result.length === 0) throw new AppError("not_found", `Webhook ${wid} not found`);
    if (result[0]!.sessionId) await notifySession(c, result[0]!.sessionId);
    return c.json({ id: wid, deleted: true as const }, 200);
  },
);
