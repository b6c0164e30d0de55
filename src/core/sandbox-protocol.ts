import { z } from "zod";
import type { ExecChunk, ExecRequest, ExecResult, FileEntry } from "../providers/types";

/**
 * The sandbox HTTP protocol (DESIGN §7), shared by the Node server (sandbox/) and the client (src/sandbox/).
 * Every body that crosses the wire is parsed with one of these schemas on the receiving side.
 */

export const SANDBOX_WORKSPACE_HEADER = "x-sandbox-workspace";
export const WORKSPACE_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
export const WorkspaceIdSchema = z.string().regex(WORKSPACE_ID_PATTERN, "workspace id must match [A-Za-z0-9_-]{1,128}");
export const DEFAULT_MAX_OUTPUT_BYTES = 1_048_576;
export const DEFAULT_MAX_PATCH_BYTES = 1_048_576;

const ExecIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "exec id must match [A-Za-z0-9_.:-]{1,128}");
const RelPathSchema = z.string().min(1).max(4096);

// ---- exec -----------------------------------------------------------------------------------------------------

export const ExecRequestSchema = z.object({
  command: z.string().min(1).max(262_144),
  args: z.array(z.string().max(262_144)).max(10_000).optional(),
  cwd: RelPathSchema.optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "invalid env var name"), z.string()).optional(),
  timeout_ms: z.number().int().min(1).max(604_800_000).optional(),
  max_output_bytes: z.number().int().min(0).max(268_435_456).optional(),
  id: ExecIdSchema.optional(),
  /** Answer with NDJSON events as they happen instead of one JSON result. */
  stream: z.boolean().optional(),
});
export type ExecRequestBody = z.infer<typeof ExecRequestSchema>;

export const ExecResultSchema = z.object({
  id: z.string(),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  duration_ms: z.number().min(0),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean(),
  timed_out: z.boolean(),
  killed: z.boolean(),
});

/** One line of a streamed exec (`application/x-ndjson`). */
export const ExecStreamEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("started"), id: z.string(), pid: z.number().int().nullable() }),
  z.object({ type: z.literal("stdout"), data: z.string() }),
  z.object({ type: z.literal("stderr"), data: z.string() }),
  ExecResultSchema.extend({ type: z.literal("exit") }),
  /** Sent while a command is silent, so idle-connection timeouts between client and server never fire. */
  z.object({ type: z.literal("heartbeat") }),
]);
export type ExecStreamEvent = z.infer<typeof ExecStreamEventSchema>;

export const KillResultSchema = z.object({
  id: z.string(),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  duration_ms: z.number().min(0),
});
export type KillResult = z.infer<typeof KillResultSchema>;

// ---- files ----------------------------------------------------------------------------------------------------

export const FileReadResponseSchema = z.object({ path: z.string(), content: z.string(), size: z.number().int().min(0) });
export type FileReadResponse = z.infer<typeof FileReadResponseSchema>;

export const FileWriteRequestSchema = z.object({ path: RelPathSchema, content: z.string() });
export const FileWriteResponseSchema = z.object({ path: z.string(), size: z.number().int().min(0) });
export type FileWriteResponse = z.infer<typeof FileWriteResponseSchema>;

export const FileEditRequestSchema = z.object({
  path: RelPathSchema,
  old_string: z.string().min(1, "old_string must not be empty"),
  new_string: z.string(),
  replace_all: z.boolean().optional(),
});
export type FileEditRequest = z.infer<typeof FileEditRequestSchema>;
export const FileEditResponseSchema = z.object({ path: z.string(), replacements: z.number().int().min(1) });
export type FileEditResponse = z.infer<typeof FileEditResponseSchema>;

export const FileEntrySchema = z.object({ path: z.string(), type: z.enum(["file", "dir"]), size: z.number().int().min(0) });
export const FileListResponseSchema = z.object({ entries: z.array(FileEntrySchema), truncated: z.boolean() });
export type FileListResponse = z.infer<typeof FileListResponseSchema>;

// ---- workspace snapshots --------------------------------------------------------------------------------------

export const SNAPSHOT_BACKENDS = ["git", "hash"] as const;
export const SnapshotBackendSchema = z.enum(SNAPSHOT_BACKENDS);
export type SnapshotBackend = z.infer<typeof SnapshotBackendSchema>;

export const IgnoreRulesSchema = z.object({
  paths: z.array(z.string().min(1).max(1024)).max(1000).optional(),
  globs: z.array(z.string().min(1).max(1024)).max(1000).optional(),
});
export type IgnoreRules = z.infer<typeof IgnoreRulesSchema>;

export const SnapshotRequestSchema = z.object({
  path: RelPathSchema.default("."),
  backend: z.enum(["git", "hash", "auto"]).default("auto"),
  label: z.string().max(512).nullable().optional(),
  ignore: IgnoreRulesSchema.optional(),
});
export type SnapshotRequest = z.input<typeof SnapshotRequestSchema>;

export const SnapshotSchema = z.object({
  backend: SnapshotBackendSchema,
  /** Relative to the workspace, as given in the request. */
  path: z.string(),
  /** git: the snapshot commit; hash: SHA-256 of the manifest. */
  ref: z.string().regex(/^[0-9a-f]{40,64}$/, "ref must be a hex object id"),
  label: z.string().nullable(),
  captured_at: z.string(),
  metadata: z.record(z.string(), z.unknown()),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

export const DiffRequestSchema = z.object({
  from: SnapshotSchema,
  to: SnapshotSchema,
  capture_patch: z.boolean().default(true),
  max_patch_bytes: z.number().int().min(0).max(268_435_456).default(DEFAULT_MAX_PATCH_BYTES),
});
export type DiffRequest = z.input<typeof DiffRequestSchema>;

export const DiffSchema = z.object({
  backend: SnapshotBackendSchema,
  from_ref: z.string(),
  to_ref: z.string(),
  files_changed: z.number().int().min(0),
  insertions: z.number().int().min(0),
  deletions: z.number().int().min(0),
  added: z.array(z.string()),
  modified: z.array(z.string()),
  deleted: z.array(z.string()),
  changed_paths: z.array(z.string()),
  patch: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
});
export type Diff = z.infer<typeof DiffSchema>;

export const RollbackRequestSchema = z.object({ snapshot: SnapshotSchema });
export const RollbackResponseSchema = z.object({
  backend: z.literal("git"),
  restored_ref: z.string(),
  /** The state just before the rollback, kept reachable so the rollback itself can be undone. */
  safety_snapshot: SnapshotSchema,
  removed: z.array(z.string()),
});
export type RollbackResponse = z.infer<typeof RollbackResponseSchema>;

export const HealthResponseSchema = z.object({ ok: z.literal(true) });

// Compile-time guards: the wire schemas stay in step with the SandboxPort types in src/providers/types.ts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameResult: Same<z.infer<typeof ExecResultSchema>, ExecResult> = true;
const sameEntry: Same<z.infer<typeof FileEntrySchema>, FileEntry> = true;
const requestFits: Same<Omit<ExecRequestBody, "stream">, ExecRequest> = true;
const chunkStreams: Same<ExecChunk["stream"], "stdout" | "stderr"> = true;
void sameResult; void sameEntry; void requestFits; void chunkStreams;
