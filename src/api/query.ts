import { createRoute } from "@hono/zod-openapi";
import { TypedEventSchema } from "../core/event-data";
import { CostSummarySchema, QueryCostSchema, QueryEventsSchema, QueryRunsSchema } from "../core/query";
import { RunSchema } from "../core/run";
import { drizzle } from "drizzle-orm/d1";
import { redactorFromEnv } from "../core/redact-env";
import type { Env } from "../env";
import { QueryStore } from "../store/query";
import { errorResponses, jsonResponse, pageOf, router } from "./openapi";

export const queryApi = router();

const queryStore = (db: D1Database) => new QueryStore(drizzle(db));

/** Rows are redacted before they reach D1; redacting on the way out too covers rows an older build wrote. */
const redacted = <T>(env: Env, page: T): T => redactorFromEnv(env).value(page).value;

queryApi.openapi(
  createRoute({
    method: "get",
    path: "/query/runs",
    tags: ["query"],
    operationId: "queryRuns",
    summary: "Search runs across sessions (keyset cursor pages)",
    request: { query: QueryRunsSchema },
    responses: { 200: jsonResponse(pageOf(RunSchema, "RunQueryPage"), "A page of runs"), ...errorResponses() },
  }),
  async (c) => c.json(redacted(c.env, await queryStore(c.env.DB).runs(c.get("tenantId"), c.req.valid("query"))), 200),
);

queryApi.openapi(
  createRoute({
    method: "get",
    path: "/query/cost",
    tags: ["query"],
    operationId: "queryCost",
    summary: "Cost and token totals for the tenant, a session or a time window",
    request: { query: QueryCostSchema },
    responses: { 200: jsonResponse(CostSummarySchema, "Totals, by provider and by model"), ...errorResponses() },
  }),
  async (c) => c.json(await queryStore(c.env.DB).cost(c.get("tenantId"), c.req.valid("query")), 200),
);

queryApi.openapi(
  createRoute({
    method: "get",
    path: "/query/events",
    tags: ["query"],
    operationId: "queryEvents",
    summary: "Search events across sessions by type, provider, run, correlation_id and time",
    request: { query: QueryEventsSchema },
    responses: { 200: jsonResponse(pageOf(TypedEventSchema, "EventQueryPage"), "A page of events, oldest first"), ...errorResponses() },
  }),
  async (c) => c.json(redacted(c.env, await queryStore(c.env.DB).events(c.get("tenantId"), c.req.valid("query"))), 200),
);
