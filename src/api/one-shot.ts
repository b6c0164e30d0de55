import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { isTerminalRunStatus, RunSchema } from "../core/run";
import { SubmitRunBodySchema } from "../core/run-submit";
import { CreateSessionBodySchema, newSession, SessionSchema } from "../core/session";
import { preflightSubmission } from "../session/run-policy";
import { assertRequiredCapabilities } from "./capabilities";
import { BODY_ERRORS, errorResponses, jsonBody, jsonResponse, router } from "./openapi";
import { unwrap } from "../core/errors";
import { call, sessionStub } from "./session-stub";

/** `POST /v1/runs`: the seed's `run_once` — a session, one run, waited for, in one call. */
export const oneShotApi = router();

const OneShotBodySchema = z
  .object({
    session: CreateSessionBodySchema.partial({ agent_id: true })
      .optional()
      .describe("The new session; agent_id defaults to the provider name"),
    run: SubmitRunBodySchema,
    wait_ms: z.number().int().min(0).max(300_000).default(60_000).describe("How long to wait for the run to end"),
  })
  .meta({ id: "OneShotRunRequest" });

const OneShotResponseSchema = z.object({ run: RunSchema, session: SessionSchema }).meta({ id: "OneShotRunResponse" });

/** One Idempotency-Key names one session: a repeat reaches the same session and, through the run's own key, the same run. */
async function sessionIdFor(tenantId: string, key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`one-shot:${tenantId}:${key}`)));
  return `ses_${[...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

oneShotApi.openapi(
  createRoute({
    method: "post",
    path: "/runs",
    tags: ["runs"],
    operationId: "runOnce",
    summary: "Create a session, run once and wait: 200 with the ended run and its session (completed, or failed with the run)",
    description:
      "As the original's run_once: the session is completed when the run completes and failed otherwise. " +
      "If the run has not ended after wait_ms the answer is 202 and the session stays active. An Idempotency-Key " +
      "makes a repeat return the same session and run (waiting again if it is still going).",
    request: { headers: z.object({ "idempotency-key": z.string().min(1).max(255).optional() }), ...jsonBody(OneShotBodySchema) },
    responses: {
      200: jsonResponse(OneShotResponseSchema, "The ended run and its session"),
      202: jsonResponse(OneShotResponseSchema, "The run had not ended after wait_ms"),
      ...errorResponses(...BODY_ERRORS, 409, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"] ?? null;
    preflightSubmission(body.run);
    assertRequiredCapabilities(body.run.provider, body.run.required_capabilities, { env: c.env, config: c.get("config") });
    const tenantId = c.get("tenantId");
    const draft = newSession(tenantId, { ...body.session, agent_id: body.session?.agent_id ?? body.run.provider }, c.get("config"));
    if (key) draft.id = await sessionIdFor(tenantId, key);
    const stub = sessionStub(c, draft.id);
    const created = await stub.createSession(draft);
    // A repeated key finds its session already there; anything else that failed is the caller's answer.
    if (!created.ok && !(key && created.error.code === "already_exists")) unwrap(created);
    let run = await call(stub.submitRun(body.run, key));
    run = await call(stub.waitRun(run.id, body.wait_ms));
    const ended = isTerminalRunStatus(run.status);
    let session = await call(stub.getSession());
    if (ended && !["completed", "failed", "cancelled"].includes(session.status)) {
      session = await call(stub.updateSession({ status: run.status === "completed" ? "completed" : "failed" }));
    }
    return c.json({ run, session }, ended ? 200 : 202);
  },
);
