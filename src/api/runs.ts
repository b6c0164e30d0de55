import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { ApprovalDecisionBodySchema, SubmitRunBodySchema } from "../core/run-submit";
import { RunSchema, type Run } from "../core/run";
import { preflightSubmission } from "../session/run-policy";
import { errorContent, errorResponses, jsonBody, jsonResponse, router, RunIdParams, SessionIdParams } from "./openapi";
import { call, sessionStub } from "./session-stub";

export const runsApi = router();

const RunListSchema = z.object({ items: z.array(RunSchema), next_cursor: z.string().nullable() });

runsApi.openapi(
  createRoute({
    method: "post", path: "/sessions/{id}/runs", tags: ["runs"],
    summary: "Submit a run (202, queued). Idempotency-Key returns the same run for a repeated submission",
    description: "The same Idempotency-Key with the same body (compared as normalised JSON) returns the run it created; "
      + "with a different body it is refused with 422 idempotency_key_reused.",
    request: {
      params: SessionIdParams,
      headers: z.object({ "idempotency-key": z.string().min(1).max(255).optional() }),
      ...jsonBody(SubmitRunBodySchema),
    },
    responses: {
      202: jsonResponse(RunSchema, "The queued run"),
      ...errorResponses,
      422: { description: "idempotency_key_reused: the key was used for a different body", content: errorContent },
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    preflightSubmission(body);
    const key = c.req.valid("header")["idempotency-key"] ?? null;
    const run = await call<Run>(sessionStub(c, id).submitRun(body, key));
    return c.json(run, 202);
  },
);

runsApi.openapi(
  createRoute({
    method: "get", path: "/sessions/{id}/runs", tags: ["runs"], summary: "List a session's runs in submission order",
    request: {
      params: SessionIdParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(200).optional(), cursor: z.string().regex(/^\d+$/, "invalid cursor").optional() }),
    },
    responses: { 200: jsonResponse(RunListSchema, "A page of runs"), ...errorResponses },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const page = await call<{ items: Run[]; next: number | null }>(sessionStub(c, id).listRuns(q.limit ?? 50, Number(q.cursor ?? 0)));
    return c.json({ items: page.items, next_cursor: page.next === null ? null : String(page.next) }, 200);
  },
);

runsApi.openapi(
  createRoute({
    method: "get", path: "/sessions/{id}/runs/{rid}", tags: ["runs"], summary: "Get a run",
    request: { params: RunIdParams },
    responses: { 200: jsonResponse(RunSchema, "The run"), ...errorResponses },
  }),
  async (c) => {
    const { id, rid } = c.req.valid("param");
    return c.json(await call<Run>(sessionStub(c, id).getRun(rid)), 200);
  },
);

runsApi.openapi(
  createRoute({
    method: "post", path: "/sessions/{id}/runs/{rid}/cancel", tags: ["runs"],
    summary: "Cancel a run: a queued one never reaches its provider; a running one is aborted and its process killed",
    request: { params: RunIdParams },
    responses: { 200: jsonResponse(RunSchema, "The run after cancellation"), ...errorResponses },
  }),
  async (c) => {
    const { id, rid } = c.req.valid("param");
    return c.json(await call<Run>(sessionStub(c, id).cancelRun(rid)), 200);
  },
);

runsApi.openapi(
  createRoute({
    method: "get", path: "/sessions/{id}/runs/{rid}/wait", tags: ["runs"], summary: "Wait until the run ends (or timeout_ms passes)",
    request: { params: RunIdParams, query: z.object({ timeout_ms: z.coerce.number().int().min(0).max(300_000).optional() }) },
    responses: { 200: jsonResponse(RunSchema, "The run (terminal unless the wait timed out)"), ...errorResponses },
  }),
  async (c) => {
    const { id, rid } = c.req.valid("param");
    return c.json(await call<Run>(sessionStub(c, id).waitRun(rid, c.req.valid("query").timeout_ms ?? 30_000)), 200);
  },
);

runsApi.openapi(
  createRoute({
    method: "post", path: "/sessions/{id}/runs/{rid}/approvals/{tool_call_id}", tags: ["runs"],
    summary: "Grant or deny a tool call waiting for approval",
    request: { params: RunIdParams.extend({ tool_call_id: z.string().min(1).max(256) }), ...jsonBody(ApprovalDecisionBodySchema) },
    responses: { 200: jsonResponse(RunSchema, "The run after the decision"), ...errorResponses },
  }),
  async (c) => {
    const { id, rid, tool_call_id } = c.req.valid("param");
    const body = c.req.valid("json");
    return c.json(await call<Run>(sessionStub(c, id).decideApproval(rid, tool_call_id, body.decision, body.reason ?? null)), 200);
  },
);
