import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { CreateSessionBodySchema, ListSessionsQuerySchema, newSession, SessionSchema, UpdateSessionBodySchema } from "../core/session";
import { ArtifactStore } from "../artifacts/store";
import { D1SessionStore } from "../store/session-store";
import { tagAndCheckFresh } from "./conditional";
import { BODY_ERRORS, errorResponses, HEADERS, jsonBody, jsonResponse, pageOf, router, SessionIdParams } from "./openapi";
import { call, sessionStub } from "./session-stub";

export const sessionsApi = router();

const SessionPageSchema = pageOf(SessionSchema, "SessionPage");
const DeletedSessionSchema = z.object({ id: z.string(), deleted: z.literal(true), hard: z.boolean() }).meta({ id: "DeletedSession" });

sessionsApi.openapi(
  createRoute({
    method: "post",
    path: "/sessions",
    tags: ["sessions"],
    operationId: "createSession",
    summary: "Create a session",
    request: jsonBody(CreateSessionBodySchema),
    responses: {
      201: jsonResponse(SessionSchema, "The new session", { ...HEADERS.location, ...HEADERS.etag }),
      ...errorResponses(...BODY_ERRORS),
    },
  }),
  async (c) => {
    const session = newSession(c.get("tenantId"), c.req.valid("json"), c.get("config"));
    const created = await call(sessionStub(c, session.id).createSession(session));
    c.header("location", `/v1/sessions/${created.id}`);
    tagAndCheckFresh(c, created);
    return c.json(created, 201);
  },
);

sessionsApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions",
    tags: ["sessions"],
    operationId: "listSessions",
    summary:
      "Search sessions (order_by: created_at_desc by default, created_at_asc, updated_at_desc; tags, provider, min_tokens filters; cursor pages)",
    request: { query: ListSessionsQuerySchema },
    responses: { 200: jsonResponse(SessionPageSchema, "A page of sessions"), ...errorResponses() },
  }),
  async (c) => {
    const page = await new D1SessionStore(c.env.DB).listSessions(c.get("tenantId"), c.req.valid("query"));
    return c.json(page, 200);
  },
);

sessionsApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}",
    tags: ["sessions"],
    operationId: "getSession",
    summary: "Get a session (ETag; If-None-Match answers 304)",
    request: {
      params: SessionIdParams,
      query: z.object({ include_deleted: z.enum(["true", "false"]).optional() }),
      headers: z.object({ "if-none-match": z.string().optional() }),
    },
    responses: {
      200: jsonResponse(SessionSchema, "The session", HEADERS.etag),
      304: { description: "Not modified: If-None-Match names the current ETag", headers: HEADERS.etag },
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const session = await call(sessionStub(c, id).getSession(c.req.valid("query").include_deleted === "true"));
    if (tagAndCheckFresh(c, session)) return c.body(null, 304);
    return c.json(session, 200);
  },
);

sessionsApi.openapi(
  createRoute({
    method: "patch",
    path: "/sessions/{id}",
    tags: ["sessions"],
    operationId: "updateSession",
    summary: "Update status, metadata, context, tags or limits (If-Match: 412 unless it names the current ETag)",
    request: { params: SessionIdParams, headers: z.object({ "if-match": z.string().optional() }), ...jsonBody(UpdateSessionBodySchema) },
    responses: { 200: jsonResponse(SessionSchema, "The updated session", HEADERS.etag), ...errorResponses(...BODY_ERRORS, 404, 409, 412) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const ifMatch = c.req.valid("header")["if-match"] ?? null;
    const session = await call(sessionStub(c, id).updateSession(c.req.valid("json"), ifMatch));
    tagAndCheckFresh(c, session);
    return c.json(session, 200);
  },
);

sessionsApi.openapi(
  createRoute({
    method: "delete",
    path: "/sessions/{id}",
    tags: ["sessions"],
    operationId: "deleteSession",
    summary: "Soft-delete a session (hard=true removes it)",
    request: { params: SessionIdParams, query: z.object({ hard: z.enum(["true", "false"]).optional() }) },
    responses: { 200: jsonResponse(DeletedSessionSchema, "Deleted"), ...errorResponses(404, 409) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const hard = c.req.valid("query").hard === "true";
    const result = await call(sessionStub(c, id).deleteSession(hard));
    if (hard && result.artifact_keys.length > 0)
      await new ArtifactStore(c.env.ARTIFACTS, c.env.DB).deleteObjects(c.get("tenantId"), result.artifact_keys);
    return c.json({ id: result.id, deleted: true as const, hard: result.hard }, 200);
  },
);
