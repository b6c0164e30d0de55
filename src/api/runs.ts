import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../core/errors";
import { etagOf } from "../core/etag";
import { ApprovalDecisionBodySchema, SubmitRunBodySchema } from "../core/run-submit";
import { isTerminalRunStatus, RunSchema } from "../core/run";
import { preflightSubmission } from "../session/run-policy";
import { assertRequiredCapabilities } from "./capabilities";
import { tagAndCheckFresh } from "./conditional";
import { BODY_ERRORS, errorResponses, HEADERS, jsonBody, jsonResponse, pageOf, router, RunIdParams, SessionIdParams } from "./openapi";
import { streamRunEvents, wantsEventStream } from "./run-stream";
import { call, sessionStub } from "./session-stub";

export const runsApi = router();

const RunPageSchema = pageOf(RunSchema, "RunPage");

runsApi.openapi(
  createRoute({
    method: "post",
    path: "/sessions/{id}/runs",
    tags: ["runs"],
    operationId: "submitRun",
    summary: "Submit a run (202, queued). Idempotency-Key returns the same run for a repeated submission",
    description:
      "The same Idempotency-Key with the same body (compared as normalised JSON) returns the run it created; " +
      "with a different body it is refused with 422 idempotency_key_reused.\n\n" +
      "Create-and-stream: with `Accept: text/event-stream` the answer is 200 with a Server-Sent Events stream of this run's " +
      "events only (from its run_queued through its terminal run_completed / run_failed / run_cancelled / run_timeout), " +
      "then the stream closes. `id:` is the sequence: a client cut off resumes with GET …/events?run_id= and Last-Event-ID. " +
      "A repeated Idempotency-Key streams the run it created, from its start. Errors before the run is stored stay JSON. " +
      "`wait=true` with an event stream is 400 conflicting_parameters (the stream already lasts until the run ends).",
    request: {
      params: SessionIdParams,
      headers: z.object({ "idempotency-key": z.string().min(1).max(255).optional() }),
      query: z.strictObject({
        wait: z
          .enum(["true", "false"])
          .optional()
          .describe("true: answer once the run ends (200), or 202 with the run as it is after timeout_ms"),
        timeout_ms: z.coerce.number().int().min(0).max(300_000).optional().describe("How long ?wait=true waits (default 30000)"),
      }),
      ...jsonBody(SubmitRunBodySchema),
    },
    responses: {
      200: {
        description:
          "With ?wait=true: the run, ended. With Accept: text/event-stream: the run's events until its end " +
          "(Location is the run; ETag is the run's as submitted)",
        headers: { ...HEADERS.location, ...HEADERS.etag },
        content: {
          "application/json": { schema: RunSchema },
          "text/event-stream": {
            schema: z
              .string()
              .describe("Server-Sent Events: `id:` is the sequence, `event:` the type, `data:` one Event of this run as JSON"),
          },
        },
      },
      202: jsonResponse(RunSchema, "The queued run (or, for a repeated Idempotency-Key, the run it created)", {
        ...HEADERS.location,
        ...HEADERS.etag,
      }),
      ...errorResponses(...BODY_ERRORS, 404, 409, 422),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    preflightSubmission(body);
    assertRequiredCapabilities(body.provider, body.required_capabilities, { env: c.env, config: c.get("config") });
    const key = c.req.valid("header")["idempotency-key"] ?? null;
    const query = c.req.valid("query");
    const stream = wantsEventStream(c.req.header("accept"));
    if (stream && query.wait === "true") {
      throw new AppError(
        "conflicting_parameters",
        "wait=true and Accept: text/event-stream cannot be combined: the stream already lasts until the run ends",
        {
          parameters: ["wait", "accept"],
        },
      );
    }
    let run = await call(sessionStub(c, id).submitRun(body, key));
    if (stream) {
      const events = await streamRunEvents(sessionStub(c, id), run.id);
      events.headers.set("location", `/v1/sessions/${id}/runs/${run.id}`);
      events.headers.set("etag", etagOf(run));
      return events;
    }
    if (query.wait === "true") run = await call(sessionStub(c, id).waitRun(run.id, query.timeout_ms ?? 30_000));
    c.header("location", `/v1/sessions/${id}/runs/${run.id}`);
    tagAndCheckFresh(c, run);
    return c.json(run, query.wait === "true" && isTerminalRunStatus(run.status) ? 200 : 202);
  },
);

runsApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/runs",
    tags: ["runs"],
    operationId: "listRuns",
    summary: "List a session's runs in submission order",
    request: {
      params: SessionIdParams,
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).optional(),
        cursor: z.string().regex(/^\d+$/, "invalid cursor").optional(),
      }),
    },
    responses: { 200: jsonResponse(RunPageSchema, "A page of runs"), ...errorResponses(404) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const page = await call(sessionStub(c, id).listRuns(q.limit ?? 50, Number(q.cursor ?? 0)));
    return c.json({ items: page.items, next_cursor: page.next === null ? null : String(page.next) }, 200);
  },
);

runsApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/runs/{rid}",
    tags: ["runs"],
    operationId: "getRun",
    summary: "Get a run (ETag; If-None-Match answers 304)",
    request: { params: RunIdParams, headers: z.object({ "if-none-match": z.string().optional() }) },
    responses: {
      200: jsonResponse(RunSchema, "The run", HEADERS.etag),
      304: { description: "Not modified: If-None-Match names the current ETag", headers: HEADERS.etag },
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const { id, rid } = c.req.valid("param");
    const run = await call(sessionStub(c, id).getRun(rid));
    if (tagAndCheckFresh(c, run)) return c.body(null, 304);
    return c.json(run, 200);
  },
);

runsApi.openapi(
  createRoute({
    method: "post",
    path: "/sessions/{id}/runs/{rid}/cancel",
    tags: ["runs"],
    operationId: "cancelRun",
    summary: "Cancel a run: a queued one never reaches its provider; a running one is aborted and its process killed",
    request: { params: RunIdParams },
    responses: { 200: jsonResponse(RunSchema, "The run after cancellation"), ...errorResponses(404, 409) },
  }),
  async (c) => {
    const { id, rid } = c.req.valid("param");
    return c.json(await call(sessionStub(c, id).cancelRun(rid)), 200);
  },
);

runsApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/runs/{rid}/wait",
    tags: ["runs"],
    operationId: "waitRun",
    summary: "Wait until the run ends (or timeout_ms passes)",
    request: { params: RunIdParams, query: z.object({ timeout_ms: z.coerce.number().int().min(0).max(300_000).optional() }) },
    responses: { 200: jsonResponse(RunSchema, "The run (terminal unless the wait timed out)"), ...errorResponses(404) },
  }),
  async (c) => {
    const { id, rid } = c.req.valid("param");
    return c.json(await call(sessionStub(c, id).waitRun(rid, c.req.valid("query").timeout_ms ?? 30_000)), 200);
  },
);

runsApi.openapi(
  createRoute({
    method: "post",
    path: "/sessions/{id}/runs/{rid}/approvals/{tool_call_id}",
    tags: ["runs"],
    operationId: "decideApproval",
    summary: "Grant or deny a tool call waiting for approval; a call already decided (or expired) is 409",
    request: { params: RunIdParams.extend({ tool_call_id: z.string().min(1).max(256) }), ...jsonBody(ApprovalDecisionBodySchema) },
    responses: {
      200: jsonResponse(RunSchema, "The run as it is once the decision is taken in"),
      ...errorResponses(...BODY_ERRORS, 404, 409),
    },
  }),
  async (c) => {
    const { id, rid, tool_call_id } = c.req.valid("param");
    const body = c.req.valid("json");
    return c.json(await call(sessionStub(c, id).decideApproval(rid, tool_call_id, body.decision, body.reason ?? null)), 200);
  },
);
