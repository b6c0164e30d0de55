import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../core/errors";
import {
  ApprovalsQuerySchema,
  CancelAllResponseSchema,
  DrainBodySchema,
  DrainResponseSchema,
  PendingApprovalSchema,
  SessionRuntimeStatusSchema,
} from "../core/run-controls";
import { pendingApprovals } from "../store/approvals";
import { BODY_ERRORS, errorResponses, jsonBody, jsonResponse, router, SessionIdParams } from "./openapi";
import { call, sessionStub } from "./session-stub";

/** Session-wide run controls and runtime visibility: cancel all, drain, status, pending approvals. */
export const controlsApi = router();

const ApprovalListSchema = z.object({ items: z.array(PendingApprovalSchema) }).meta({ id: "PendingApprovalList" });

controlsApi.openapi(
  createRoute({
    method: "post",
    path: "/sessions/{id}/runs/cancel",
    tags: ["runs"],
    operationId: "cancelAllRuns",
    summary: "Cancel every queued and running run of the session",
    description: "Queued runs never reach their provider; running ones are aborted (their processes killed) and awaited, bounded.",
    request: { params: SessionIdParams },
    responses: { 200: jsonResponse(CancelAllResponseSchema, "The runs that were cancelled"), ...errorResponses(404) },
  }),
  async (c) => c.json(await call(sessionStub(c, c.req.valid("param").id).cancelAllRuns()), 200),
);

controlsApi.openapi(
  createRoute({
    method: "post",
    path: "/sessions/{id}/drain",
    tags: ["runs"],
    operationId: "drainSession",
    summary: "Stop accepting runs and answer when nothing is queued or running (408 with what is left at timeout_ms)",
    description:
      "While a drain waits, submissions are refused with 409 invalid_status; once it answers, the session takes runs again. " +
      "A paused session starts nothing, so draining it times out unless its queue is empty.",
    request: { params: SessionIdParams, ...jsonBody(DrainBodySchema) },
    responses: {
      200: jsonResponse(DrainResponseSchema, "Drained: nothing queued or running"),
      ...errorResponses(...BODY_ERRORS, 404, 408),
    },
  }),
  async (c) => {
    const result = await call(sessionStub(c, c.req.valid("param").id).drain(c.req.valid("json").timeout_ms));
    if (!result.drained) {
      throw new AppError("drain_timeout", "Runs were still queued or running when timeout_ms passed", {
        in_flight: result.in_flight,
        queued: result.queued,
      });
    }
    return c.json(result, 200);
  },
);

controlsApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/status",
    tags: ["sessions"],
    operationId: "getSessionRuntimeStatus",
    summary:
      "What the session is doing now: runs in flight and queued (with positions), slots, sequences, subscribers, approvals, isolation",
    request: { params: SessionIdParams },
    responses: { 200: jsonResponse(SessionRuntimeStatusSchema, "The session's runtime status"), ...errorResponses(404) },
  }),
  async (c) => c.json(await call(sessionStub(c, c.req.valid("param").id).runtimeStatus()), 200),
);

controlsApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/approvals",
    tags: ["runs"],
    operationId: "listSessionApprovals",
    summary: "Tool calls of this session waiting for a person (exact: read from the session's own log)",
    request: { params: SessionIdParams, query: ApprovalsQuerySchema },
    responses: { 200: jsonResponse(ApprovalListSchema, "Pending approvals, oldest first"), ...errorResponses(404) },
  }),
  async (c) => c.json({ items: await call(sessionStub(c, c.req.valid("param").id).pendingApprovals()) }, 200),
);

controlsApi.openapi(
  createRoute({
    method: "get",
    path: "/approvals",
    tags: ["runs"],
    operationId: "listApprovals",
    summary: "Tool calls waiting for a person across the tenant's sessions (from D1: a request made moments ago may not be listed yet)",
    request: { query: ApprovalsQuerySchema.extend({ limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
    responses: { 200: jsonResponse(ApprovalListSchema, "Pending approvals, oldest first"), ...errorResponses() },
  }),
  async (c) => c.json({ items: await pendingApprovals(c.env.DB, c.get("tenantId"), c.req.valid("query").limit) }, 200),
);
