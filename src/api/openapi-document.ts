import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./types";

/** The tags the operations use, declared with what each groups. */
const TAGS = [
  { name: "sessions", description: "Sessions: create, list, read, update, delete; transcripts" },
  { name: "runs", description: "Runs: submit (queued), list, read, cancel, wait, approval decisions" },
  { name: "events", description: "A session's event log: append, read by cursor, long-poll, SSE and WebSocket streams" },
  { name: "workspace", description: "Workspace diffs of runs" },
  { name: "schedules", description: "Runs a session submits itself: cron (UTC), once at a time, or every N ms" },
  { name: "artifacts", description: "Stored artifacts (patches, large outputs)" },
  { name: "query", description: "Queries across a tenant's sessions: runs, events, cost" },
  { name: "providers", description: "Provider adapters, their capabilities, circuit state and the sandbox's isolation" },
  { name: "fan-out", description: "Webhooks: every event of a session (or the tenant), delivered in order and signed" },
  { name: "maintenance", description: "Retention and consistency reports" },
];

const CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "Agent Session Manager",
    version: "0.1.0",
    description: "Durable, sequenced AI agent sessions. Errors are `{error: {code, message, details, retryable}}` (the Error schema).",
    license: { name: "MIT", identifier: "MIT" },
  },
  servers: [{ url: "/", description: "The deployment serving this document" }],
  tags: TAGS,
  security: [{ bearer: [] }],
};

export function registerSecurity(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API key (API_KEYS maps keys to tenants)",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "streamToken", {
    type: "apiKey",
    in: "query",
    name: "token",
    description: "A short-lived stream token from POST /v1/sessions/{id}/stream-token (SSE and WebSocket only)",
  });
}

type Json = unknown;

/**
 * The generator writes a nullable reference as `allOf: [$ref, {type: [object, null]}]`, which no value can
 * satisfy when it is null (the reference still applies); say what is meant: either the reference or null.
 */
function fixNullableRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(fixNullableRefs);
  if (node === null || typeof node !== "object") return node;
  const obj = node as Record<string, Json>;
  const allOf = obj.allOf;
  if (Array.isArray(allOf) && allOf.length === 2) {
    const [ref, nullable] = allOf as [Record<string, Json>, Record<string, Json>];
    const types = nullable?.type;
    if (typeof ref?.$ref === "string" && Array.isArray(types) && types.includes("null") && Object.keys(nullable).length === 1) {
      const { allOf: _drop, ...rest } = obj;
      return { ...(fixNullableRefs(rest) as object), anyOf: [ref, { type: "null" }] };
    }
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fixNullableRefs(v)]));
}

const built = new WeakMap<object, Record<string, unknown>>();

/**
 * The OpenAPI 3.1 document of the app: what GET /openapi.json serves and `npm run lint:openapi` checks. Built once
 * per app (generating it walks every schema and takes the better part of a second).
 */
export function openApiDocument(app: OpenAPIHono<AppEnv>): Record<string, unknown> {
  let doc = built.get(app);
  if (!doc) {
    doc = fixNullableRefs(app.getOpenAPI31Document(CONFIG)) as Record<string, unknown>;
    built.set(app, doc);
  }
  return doc;
}
