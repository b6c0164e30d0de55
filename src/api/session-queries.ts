import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { EventQuerySchema } from "../core/event";
import { EventCountSchema, SessionStatsSchema } from "../core/session-stats";
import { parseTypes } from "./events";
import { errorResponses, jsonResponse, router, SessionIdParams } from "./openapi";
import { call, sessionStub } from "./session-stub";

/** Per-session visibility (seed QueryAPI get_session_stats, count_events), answered by the session's own object. */
export const sessionQueriesApi = router();

sessionQueriesApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/stats",
    tags: ["sessions"],
    operationId: "getSessionStats",
    summary: "Event and run totals of one session: counts, token totals, providers used, first and last event time, runs by status",
    description:
      "Computed by the session's Durable Object from its own storage, so it agrees with GET …/events and …/runs at the same moment.",
    request: { params: SessionIdParams, query: z.object({}).strict() },
    responses: { 200: jsonResponse(SessionStatsSchema, "The session's statistics"), ...errorResponses(404) },
  }),
  async (c) => c.json(await call(sessionStub(c, c.req.valid("param").id).sessionStats()), 200),
);

const CountQuery = EventQuerySchema.omit({ limit: true, wait_ms: true }).strict();

sessionQueriesApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/events/count",
    tags: ["events"],
    operationId: "countEvents",
    summary: "How many events match the filters of GET …/events (after, before, run_id, type, since, until)",
    request: { params: SessionIdParams, query: CountQuery },
    responses: { 200: jsonResponse(EventCountSchema, "The number of matching events"), ...errorResponses(404) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const filter = { after: q.after, before: q.before, run_id: q.run_id, types: parseTypes(q.type), since: q.since, until: q.until };
    return c.json(await call(sessionStub(c, c.req.valid("param").id).countEvents(filter)), 200);
  },
);
