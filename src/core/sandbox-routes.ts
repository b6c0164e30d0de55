import { z } from "zod";
import {
  DiffRequestSchema,
  DiffSchema,
  ExecRequestSchema,
  ExecResultSchema,
  ExecStreamEventSchema,
  FileEditRequestSchema,
  FileEditResponseSchema,
  FileListResponseSchema,
  FileReadResponseSchema,
  FileWriteRequestSchema,
  FileWriteResponseSchema,
  HealthResponseSchema,
  KillResultSchema,
  RollbackRequestSchema,
  RollbackResponseSchema,
  SnapshotRequestSchema,
  SnapshotSchema,
  WorkspaceDeleteResponseSchema,
} from "./sandbox-protocol";
import { RestoreFromRequestSchema, RestoreFromResponseSchema } from "./sandbox-restore";

/**
 * The routes of the sandbox wire: for each operation its method, path, schemas and retry safety. The server
 * (sandbox/wire.ts) mounts exactly these and the client (src/sandbox/client.ts) calls nothing else, so both sides of
 * the wire read one table.
 */

/** `GET /files`: the file to read. */
export const FileReadQuerySchema = z.object({
  path: z.string({ error: "query parameter path is required" }).min(1, "query parameter path is required"),
});
/** `GET /files/list`: a missing or empty path lists the workspace root; `recursive` is on for `1` or `true`. */
export const FileListQuerySchema = z.object({
  path: z
    .string()
    .optional()
    .transform((p) => p || "."),
  recursive: z
    .string()
    .optional()
    .transform((r) => r === "true" || r === "1"),
});
export const ExecIdParamsSchema = z.object({ id: z.string().min(1) });

export type SandboxMethod = "GET" | "PUT" | "POST" | "DELETE";
/**
 * One operation of the sandbox wire. `path` uses `:name` for its params. A route with `stream` answers NDJSON lines
 * of that schema when the request asks for a stream, and one `response` otherwise. `idempotent`: a retry after a
 * lost answer leaves the same state (the client retries only these).
 */
export type SandboxRoute = {
  method: SandboxMethod;
  path: string;
  auth: boolean;
  idempotent: boolean;
  params: z.ZodType | null;
  query: z.ZodType | null;
  body: z.ZodType | null;
  response: z.ZodType;
  stream: z.ZodType | null;
};

const none = { params: null, query: null, body: null, stream: null } as const;

/** The whole sandbox wire: the server mounts exactly these routes, the client calls nothing else. */
export const SANDBOX_ROUTES = {
  health: { ...none, method: "GET", path: "/health", auth: false, idempotent: true, response: HealthResponseSchema },
  /** Idempotent by its id: a retry reattaches to the exec instead of starting it again. */
  exec: {
    ...none,
    method: "POST",
    path: "/exec",
    auth: true,
    idempotent: true,
    body: ExecRequestSchema,
    response: ExecResultSchema,
    stream: ExecStreamEventSchema,
  },
  kill: {
    ...none,
    method: "POST",
    path: "/exec/:id/kill",
    auth: true,
    idempotent: true,
    params: ExecIdParamsSchema,
    response: KillResultSchema,
  },
  readFile: {
    ...none,
    method: "GET",
    path: "/files",
    auth: true,
    idempotent: true,
    query: FileReadQuerySchema,
    response: FileReadResponseSchema,
  },
  /** Writing the whole file again leaves the same file. */
  writeFile: {
    ...none,
    method: "PUT",
    path: "/files",
    auth: true,
    idempotent: true,
    body: FileWriteRequestSchema,
    response: FileWriteResponseSchema,
  },
  listFiles: {
    ...none,
    method: "GET",
    path: "/files/list",
    auth: true,
    idempotent: true,
    query: FileListQuerySchema,
    response: FileListResponseSchema,
  },
  /** A repeated edit could apply twice. */
  editFile: {
    ...none,
    method: "POST",
    path: "/files/edit",
    auth: true,
    idempotent: false,
    body: FileEditRequestSchema,
    response: FileEditResponseSchema,
  },
  snapshot: {
    ...none,
    method: "POST",
    path: "/workspace/snapshot",
    auth: true,
    idempotent: true,
    body: SnapshotRequestSchema,
    response: SnapshotSchema,
  },
  diff: { ...none, method: "POST", path: "/workspace/diff", auth: true, idempotent: true, body: DiffRequestSchema, response: DiffSchema },
  rollback: {
    ...none,
    method: "POST",
    path: "/workspace/rollback",
    auth: true,
    idempotent: false,
    body: RollbackRequestSchema,
    response: RollbackResponseSchema,
  },
  /** Sent once: a second restore into the same place finds the repository the first one made. */
  restoreFrom: {
    ...none,
    method: "POST",
    path: "/workspace/restore-from",
    auth: true,
    idempotent: false,
    body: RestoreFromRequestSchema,
    response: RestoreFromResponseSchema,
  },
  deleteWorkspace: { ...none, method: "DELETE", path: "/workspace", auth: true, idempotent: true, response: WorkspaceDeleteResponseSchema },
} as const satisfies Record<string, SandboxRoute>;

export type SandboxRoutes = typeof SANDBOX_ROUTES;
export type SandboxRouteName = keyof SandboxRoutes;
/** What a schema slot of a route parses to (`undefined` where the route takes nothing there). */
export type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
/** What a caller hands over for a schema slot, before defaults and transforms. */
export type Given<S> = S extends z.ZodType ? z.input<S> : undefined;

/** The request path of a route with its params filled in (each one URI-encoded). */
export function sandboxPath(route: SandboxRoute, params: Record<string, string> = {}, query?: Record<string, string>): string {
  const path = route.path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`sandboxPath: missing param ${name} for ${route.path}`);
    return encodeURIComponent(value);
  });
  return query ? `${path}?${new URLSearchParams(query)}` : path;
}
