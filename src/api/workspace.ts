import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../core/errors";
import { ArtifactStore } from "../artifacts/store";
import { redactorFromEnv } from "../core/redact-env";
import type { WorkspaceSummary } from "../session/workspace-tracker";
import { errorResponses, HEADERS, jsonResponse, router, RunIdParams, SessionIdParams } from "./openapi";
import { call, sessionStub } from "./session-stub";

export const workspaceApi = router();

const DiffResponseSchema = z
  .object({
    run_id: z.string(),
    backend: z.string(),
    before_ref: z.string(),
    after_ref: z.string(),
    files_changed: z.number(),
    insertions: z.number(),
    deletions: z.number(),
    added: z.array(z.string()),
    modified: z.array(z.string()),
    deleted: z.array(z.string()),
    patch: z.string().nullable(),
    patch_ref: z.string().nullable(),
    rolled_back: z.boolean(),
  })
  .meta({ id: "RunDiff" });

workspaceApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/runs/{rid}/diff",
    tags: ["workspace"],
    operationId: "getRunDiff",
    summary: "The run's workspace diff with its full patch (fetched from R2 when it was stored as an artifact)",
    request: { params: RunIdParams },
    responses: { 200: jsonResponse(DiffResponseSchema, "The diff"), ...errorResponses(404) },
  }),
  async (c) => {
    const { id, rid } = c.req.valid("param");
    const run = await call(sessionStub(c, id).getRun(rid));
    const ws = run.metadata.workspace as WorkspaceSummary | undefined;
    if (!ws)
      throw new AppError("not_found", "This run has no workspace diff (submit it with workspace: {snapshot: true})", { run_id: rid });
    const stored = ws.patch_ref ? await new ArtifactStore(c.env.ARTIFACTS, c.env.DB).text(c.get("tenantId"), ws.patch_ref) : ws.patch;
    // Patches are redacted before they are stored; this covers objects an older build wrote.
    const patch = stored === null ? null : redactorFromEnv(c.env).text(stored).value;
    return c.json(
      {
        run_id: run.id,
        backend: ws.backend,
        before_ref: ws.before_ref,
        after_ref: ws.after_ref,
        ...ws.diff,
        patch,
        patch_ref: ws.patch_ref,
        rolled_back: ws.rolled_back,
      },
      200,
    );
  },
);

const TranscriptSchema = z
  .object({
    session_id: z.string(),
    messages: z.array(z.record(z.string(), z.unknown())),
    last_sequence: z.number().nullable(),
  })
  .loose()
  .meta({ id: "Transcript" });

workspaceApi.openapi(
  createRoute({
    method: "get",
    path: "/sessions/{id}/transcript",
    tags: ["sessions"],
    operationId: "getTranscript",
    summary: "The session transcript built from its events (messages, collapsed streams, paired tool calls)",
    request: { params: SessionIdParams },
    responses: { 200: jsonResponse(TranscriptSchema, "The transcript"), ...errorResponses(404) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await call(sessionStub(c, id).getTranscript()), 200);
  },
);

workspaceApi.openapi(
  createRoute({
    method: "get",
    path: "/artifacts/{key}",
    tags: ["artifacts"],
    operationId: "getArtifact",
    summary: "Stream an artifact from R2 (tenant-checked)",
    request: {
      params: z.object({
        key: z
          .string()
          .min(1)
          .max(256)
          .regex(/^[A-Za-z0-9_.-]+$/),
      }),
    },
    responses: {
      200: {
        description: "The artifact bytes, with its content type",
        content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } },
        headers: {
          ...HEADERS.etag,
          "X-Artifact-Sha256": { description: "SHA-256 of the bytes (hex)", schema: { type: "string" as const } },
        },
      },
      ...errorResponses(404),
    },
  }),
  async (c) => {
    const { key } = c.req.valid("param");
    const { body, ref } = await new ArtifactStore(c.env.ARTIFACTS, c.env.DB).get(c.get("tenantId"), key);
    return new Response(body, {
      headers: {
        "content-type": ref.content_type,
        "content-length": String(ref.size),
        etag: `"${ref.sha256}"`,
        "x-artifact-sha256": ref.sha256,
      },
    });
  },
);
