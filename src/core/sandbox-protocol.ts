import { z } from "zod";

/**
 * The sandbox HTTP protocol, shared by the Node server (sandbox/) and the client (src/sandbox/). Every body that
 * crosses the wire is parsed with one of these schemas on the receiving side; sandbox-routes.ts binds each operation
 * to its method and path.
 */

export const SANDBOX_WORKSPACE_HEADER = "x-sandbox-workspace";
export const WORKSPACE_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
export const WorkspaceIdSchema = z.string().regex(WORKSPACE_ID_PATTERN, "workspace id must match [A-Za-z0-9_-]{1,128}");
export const DEFAULT_MAX_OUTPUT_BYTES = 1_048_576;
export const DEFAULT_MAX_PATCH_BYTES = 1_048_576;

const ExecIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "exec id must match [A-Za-z0-9_.:-]{1,128}");
const RelPathSchema = z.string().min(1).max(4096);

// ---- isolation ------------------------------------------------------------------------------------------------

/** A host name or `*.suffix` pattern of a network allow list (ports are not part of the pattern). */
const HostPatternSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*\.)?[A-Za-z0-9_.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/, "a host name, `*.domain` or an IP address");

/**
 * What a command may reach: nothing (`none`, the default), everything (`all`), or only the listed hosts through the
 * sandbox's allow-listing proxy (`{allow}`); in every case the command's network namespace is what enforces it.
 */
export const NetworkPolicySchema = z.union([
  z.literal("none"),
  z.literal("all"),
  z.object({ allow: z.array(HostPatternSchema).min(1).max(256) }).strict(),
]);
export type NetworkPolicy = z.infer<typeof NetworkPolicySchema>;

/** Per-run resource bounds; each one that is hit ends the run with `limit_exceeded` naming it. */
export const SandboxLimitsSchema = z
  .object({
    /** Processes (and threads) alive at once for the session's user. */
    max_processes: z.number().int().min(4).max(65_536).optional(),
    /** Resident memory of all the run's processes together. */
    max_memory_bytes: z
      .number()
      .int()
      .min(16 * 1024 * 1024)
      .max(2 ** 40)
      .optional(),
    /** CPU seconds per process. */
    max_cpu_seconds: z.number().int().min(1).max(86_400).optional(),
    /** Size of the whole workspace while the run is going. */
    max_workspace_bytes: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 44)
      .optional(),
    /** Largest single file a process may write (workspace or /tmp). */
    max_file_bytes: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 44)
      .optional(),
  })
  .strict();
export type SandboxLimits = z.infer<typeof SandboxLimitsSchema>;

export const RESOURCE_LIMITS = ["processes", "memory", "cpu_time", "workspace_size", "file_size"] as const;
export const ResourceLimitSchema = z.enum(RESOURCE_LIMITS);
export type ResourceLimit = z.infer<typeof ResourceLimitSchema>;

export const ISOLATION_MODES = ["bubblewrap", "none"] as const;
/** How the sandbox server contains what it runs (reported by /health, GET /v1/providers and every run_started). */
export const IsolationInfoSchema = z.object({
  mode: z.enum(ISOLATION_MODES),
  /** Commands run as a user other than the server's (one per workspace). */
  distinct_user: z.boolean(),
  /** Network policies are enforced by a namespace, not by environment variables. */
  network_enforced: z.boolean(),
  /** What enforces memory and process bounds: the kernel's control groups, or rlimits plus a watchdog. */
  resource_bounds: z.enum(["cgroup_v2", "cgroup_v1", "rlimits"]),
  /** Why isolation is off, when it is. */
  reason: z.string().nullable(),
  default_network: NetworkPolicySchema,
  default_limits: SandboxLimitsSchema,
});
export type IsolationInfo = z.infer<typeof IsolationInfoSchema>;

// ---- exec -----------------------------------------------------------------------------------------------------

export const ExecRequestSchema = z.object({
  command: z.string().min(1).max(262_144),
  args: z.array(z.string().max(262_144)).max(10_000).optional(),
  cwd: RelPathSchema.optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "invalid env var name"), z.string()).optional(),
  timeout_ms: z.number().int().min(1).max(604_800_000).optional(),
  max_output_bytes: z.number().int().min(0).max(268_435_456).optional(),
  id: ExecIdSchema.optional(),
  network: NetworkPolicySchema.optional(),
  limits: SandboxLimitsSchema.optional(),
  /** Answer with NDJSON events as they happen instead of one JSON result. */
  stream: z.boolean().optional(),
  /**
   * Output the client already has (string lengths of stdout and stderr). A POST with the id of an exec that is
   * running, or ended a moment ago, and the same request otherwise reattaches to it from there instead of starting
   * it again: a retried start never runs a command twice, and a lost stream resumes without gaps or repeats.
   */
  resume: z
    .object({ stdout: z.number().int().min(0), stderr: z.number().int().min(0) })
    .strict()
    .optional(),
});
export type ExecRequestBody = z.infer<typeof ExecRequestSchema>;
/** What providers ask of the sandbox (the wire body without the transport's `stream` flag and resume point). */
export type ExecRequest = Omit<ExecRequestBody, "stream" | "resume">;
export type ResumePoint = NonNullable<ExecRequestBody["resume"]>;
export type ExecChunk = { stream: "stdout" | "stderr"; data: string };

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
  /** The resource bound that ended the process, if one did. */
  limit_exceeded: ResourceLimitSchema.nullable().default(null),
});
export type ExecResult = z.output<typeof ExecResultSchema>;

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
export type FileEntry = z.infer<typeof FileEntrySchema>;
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

export const HealthResponseSchema = z.object({ ok: z.literal(true), isolation: IsolationInfoSchema });
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

/** `DELETE /workspace`: what a hard delete removed. */
export const WorkspaceDeleteResponseSchema = z.object({ killed: z.number().int().min(0), removed: z.boolean() });
export type WorkspaceDeleteResponse = z.infer<typeof WorkspaceDeleteResponseSchema>;
