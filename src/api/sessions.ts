import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import {
  CreateSessionBodySchema, ListSessionsQuerySchema, newSession, SessionSchema, UpdateSessionBodySchema, type Session,
} from "../core/session";
import { ArtifactStore } from "../artifacts/store";
import { D1SessionStore } from "../store/session-store";
import { errorResponses, jsonBody, jsonResponse, router, SessionIdParams } from "./openapi";
import { call, sessionStub } from "./session-stub";

export const sessionsApi = router();

const SessionListSchema = z.object({ items: z.array(SessionSchema), next_cursor: z.string().nullable() });

sessionsApi.openapi(
  createRoute({
    method: "post", path: "/sessions", tags: ["sessions"], summary: "Create a session",
    request: jsonBody(CreateSessionBodySchema),
    responses: { 201: jsonResponse(SessionSchema, "The new session"), ...errorResponses },
  }),
  async (c) => {
    const session = newSession(c.get("tenantId"), c.req.valid("json"), c.get("config"));
    const created = await call<Session>(sessionStub(c, session.id).createSession(session));
    return c.json(created, 201);
  },
);

sessionsApi.openapi(
  createRoute({
    method: "get", path: "/sessions", tags: ["sessions"], summary: "List sessions (newest first, cursor pages)",
    request: { query: ListSessionsQuerySchema },
    responses: { 200: jsonResponse(SessionListSchema, "A page of sessions"), ...errorResponses },
  }),
  async (c) => {
    const page = await new D1SessionStore(c.env.DB).listSessions(c.get("tenantId"), c.req.valid("query"));
    return c.json(page, 200);
  },
);

sessionsApi.openapi(
  createRoute({
    method: "get", path: "/sessions/{id}", tags: ["sessions"], summary: "Get a session",
    request: { params: SessionIdParams, query: z.object({ include_deleted: z.enum(["true", "false"]).optional() }) },
    responses: { 200: jsonResponse(SessionSchema, "The session"), ...errorResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const session = await call<Session>(sessionStub(c, id).getSession(c.req.valid("query").include_deleted === "true"));
    return c.json(session, 200);
  },
);

sessionsApi.openapi(
  createRoute({
    method: "patch", path: "/sessions/{id}", tags: ["sessions"], summary: "Update status, metadata, context, tags or limits",
    request: { params: SessionIdParams, ...jsonBody(UpdateSessionBodySchema) },
    responses: { 200: jsonResponse(SessionSchema, "The updated session"), ...errorResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const session = await call<Session>(sessionStub(c, id).updateSession(c.req.valid("json")));
    return c.json(session, 200);
  },
);

sessionsApi.openapi(
  createRoute({
    method: "delete", path: "/sessions/{id}", tags: ["sessions"], summary: "Soft-delete a session (hard=true removes it)",
    request: { params: SessionIdParams, query: z.object({ hard: z.enum(["true", "false"]).optional() }) },
    responses: {
      200: jsonResponse(z.object({ id: z.string(), deleted: z.literal(true), hard: z.boolean() }), "Deleted"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const hard = c.req.valid("query").hard === "true";
    const result = await call<{ id: string; hard: boolean; artifact_keys: string[] }>(sessionStub(c, id).deleteSession(hard));
    if (hard && result.artifact_keys.length > 0) await new ArtifactStore(c.env.ARTIFACTS, c.env.DB).deleteObjects(c.get("tenantId"), result.artifact_keys);
    return c.json({ id: result.id, deleted: true as const, hard: result.hard }, 200);
  },
);
