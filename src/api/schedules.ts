import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { CreateScheduleBodySchema, ScheduleListSchema, ScheduleSchema } from "../core/schedule";
import { preflightSubmission } from "../session/run-policy";
import { assertRequiredCapabilities } from "./capabilities";
import { BODY_ERRORS, errorResponses, HEADERS, jsonBody, jsonResponse, router, SessionIdParams } from "./openapi";
import { call, sessionStub } from "./session-stub";

/** Schedules: run bodies the session's own alarm submits on a cron expression, once, or every N ms. */
export const schedulesApi = router();

const ScheduleIdParams = SessionIdParams.extend({ schedule_id: z.string().min(1).max(128).describe("Schedule id (sch_ + 32 hex)") });

schedulesApi.openapi(
  createRoute({
    method: "post",
    path: "/sessions/{id}/schedules",
    tags: ["schedules"],
    operationId: "createSchedule",
    summary: "Schedule a run: on a cron expression (UTC), once `at` a time, or `every_ms` (≥ 60000)",
    description:
      "Exactly one of `cron`, `at`, `every_ms`. `run` is the body of POST /v1/sessions/{id}/runs and is checked the same " +
      "way now. Each firing submits it with `metadata.schedule_id` (tenant quotas and the session's queue apply); a firing " +
      "while the session is paused, or one the submission refuses, is skipped with a `schedule_skipped` event. " +
      "Schedules live in the session's object and stop when the session is deleted or ends. At most 100 per session.",
    request: { params: SessionIdParams, ...jsonBody(CreateScheduleBodySchema) },
    responses: {
      201: jsonResponse(ScheduleSchema, "The schedule", HEADERS.location),
      ...errorResponses(...BODY_ERRORS, 404, 409),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    // Refused now, not at every firing: the same checks POST …/runs makes before anything is queued.
    preflightSubmission(body.run);
    assertRequiredCapabilities(body.run.provider, body.run.required_capabilities, { env: c.env, config: c.get("config") });
    const schedule = await call(sessionStub(c, id).createSchedule(body));
    c.header("location", `/v1/sessions/${id}/schedules/${schedule.id}`);
    return c.json(schedule, 201);
  },
);

schedulesApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/schedules",
    tags: ["schedules"],
    operationId: "listSchedules",
    summary: "The session's schedules, oldest first",
    request: { params: SessionIdParams },
    responses: { 200: jsonResponse(ScheduleListSchema, "Every schedule of the session"), ...errorResponses(404) },
  }),
  async (c) => c.json({ items: await call(sessionStub(c, c.req.valid("param").id).listSchedules()) }, 200),
);

schedulesApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/schedules/{schedule_id}",
    tags: ["schedules"],
    operationId: "getSchedule",
    summary: "A schedule: next and last firing, counts",
    request: { params: ScheduleIdParams },
    responses: { 200: jsonResponse(ScheduleSchema, "The schedule"), ...errorResponses(404) },
  }),
  async (c) => {
    const { id, schedule_id } = c.req.valid("param");
    return c.json(await call(sessionStub(c, id).getSchedule(schedule_id)), 200);
  },
);

schedulesApi.openapi(
  createRoute({
    method: "delete",
    path: "/sessions/{id}/schedules/{schedule_id}",
    tags: ["schedules"],
    operationId: "deleteSchedule",
    summary: "Delete a schedule: it fires no more (runs it already submitted are not touched)",
    request: { params: ScheduleIdParams },
    responses: { 200: jsonResponse(ScheduleSchema, "The deleted schedule"), ...errorResponses(404) },
  }),
  async (c) => {
    const { id, schedule_id } = c.req.valid("param");
    return c.json(await call(sessionStub(c, id).deleteSchedule(schedule_id)), 200);
  },
);
