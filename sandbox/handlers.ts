import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { AppError } from "../src/core/errors";
import type { HealthResponse, WorkspaceDeleteResponse } from "../src/core/sandbox-protocol";
import type { SandboxRoutes } from "../src/core/sandbox-routes";
import type { ExecRegistry } from "./attach";
import { execFingerprint } from "./attach";
import type { ProcessTable } from "./exec";
import { editTextFile, listFiles, readTextFile, writeTextFile } from "./files";
import { killUserProcesses } from "./limits";
import { resolveInside, type Workspace, type Workspaces } from "./paths";
import { restoreFrom } from "./restore-from";
import { SNAPSHOT_STORE_DIR } from "./snapshot-hash";
import { diffSnapshots, rollbackSnapshot, takeSnapshot } from "./snapshots";
import type { RouteInput, SandboxHandlers } from "./wire";

/**
 * What the sandbox does for each route of the wire: exec, kill, files, workspace snapshots, restoring a snapshot of
 * another workspace, and hard delete.
 */

export type Parts = { root: string; table: ProcessTable; registry: ExecRegistry; workspaces: Workspaces; health: HealthResponse };

async function resolveCwd(ws: Workspace, cwd: string): Promise<string> {
  const abs = await resolveInside(ws, cwd);
  const info = await stat(abs).catch(() => null);
  if (!info?.isDirectory()) throw new AppError("validation_error", `cwd is not a directory: ${cwd}`, { cwd });
  return abs;
}

/**
 * `POST /exec`. An id that is already known (running, or ended a moment ago) with the same request reattaches to
 * that exec (attach.ts) instead of starting it again; with a different request it is a 409 `already_exists`.
 * The answer outlives this handler (a stream a later retry may take over, cut when its client goes away), so the
 * registry writes it to the node response itself and Hono is told it was sent.
 */
async function exec(input: RouteInput<SandboxRoutes["exec"]>, parts: Parts): Promise<Response> {
  const { table, registry } = parts;
  const res = input.c.env.outgoing;
  const { stream = false, resume = { stdout: 0, stderr: 0 }, ...request } = input.body;
  const ws = await parts.workspaces.open(input.workspaceId);
  const id = request.id ?? `exec_${randomUUID().replace(/-/g, "")}`;
  const fingerprint = execFingerprint({ ...request, id });
  const known = registry.get(ws.id, id);
  if (known) {
    if (known.fingerprint !== fingerprint) {
      throw new AppError("already_exists", `an exec with id ${id} exists for a different request`, { id });
    }
    registry.attach(known, res, stream, resume);
    return RESPONSE_ALREADY_SENT;
  }
  const cwd = await resolveCwd(ws, request.cwd ?? ".");
  // Registered before the process exists: a retry that arrives while the jail is being set up attaches to it.
  const entry = registry.create(ws.id, id, fingerprint, res, stream, resume);
  try {
    const { done } = await table.start(
      ws,
      { ...request, id, cwd },
      {
        onStarted: (_id, pid) => registry.started(entry, pid),
        onChunk: (which, data) => registry.chunk(entry, which, data),
      },
    );
    void done.then(
      (result) => registry.finished(entry, result),
      (err: unknown) => registry.failed(entry, err),
    );
  } catch (err) {
    registry.failed(entry, err);
  }
  return RESPONSE_ALREADY_SENT;
}

/** Hard delete: every process of the workspace is killed, then its folder, home and manifests are removed. */
async function deleteWorkspace(ws: Workspace, parts: Parts): Promise<WorkspaceDeleteResponse> {
  const killed = await parts.table.killWorkspace(ws.id);
  parts.registry.forgetWorkspace(ws.id);
  if (ws.uid !== null) await killUserProcesses(ws.uid);
  const removed = await parts.workspaces.remove(ws.id, [join(parts.workspaces.root, SNAPSHOT_STORE_DIR, ws.id)]);
  return { killed, removed };
}

export function sandboxHandlers(parts: Parts): SandboxHandlers {
  const ws = (id: string | undefined) => parts.workspaces.open(id);
  return {
    health: async () => parts.health,
    exec: (input) => exec(input, parts),
    kill: async ({ params, workspaceId }) => {
      const killed = await parts.table.kill((await ws(workspaceId)).id, params.id);
      if (!killed) throw new AppError("not_found", `no running exec with id ${params.id}`, { id: params.id });
      return killed;
    },
    readFile: async ({ query, workspaceId }) => readTextFile(await ws(workspaceId), query.path),
    writeFile: async ({ body, workspaceId }) => writeTextFile(await ws(workspaceId), body.path, body.content),
    listFiles: async ({ query, workspaceId }) => listFiles(await ws(workspaceId), query.path, query.recursive),
    editFile: async ({ body, workspaceId }) => editTextFile(await ws(workspaceId), body),
    snapshot: async ({ body, workspaceId }) => takeSnapshot(parts.root, await ws(workspaceId), body),
    diff: async ({ body, workspaceId }) => diffSnapshots(parts.root, await ws(workspaceId), body),
    rollback: async ({ body, workspaceId }) => rollbackSnapshot(await ws(workspaceId), body),
    // The target is the workspace of the header; the source is named in the body (the Worker checked both are the tenant's).
    restoreFrom: async ({ body, workspaceId }) => restoreFrom(await ws(body.source_workspace), await ws(workspaceId), body),
    deleteWorkspace: async ({ workspaceId }) => deleteWorkspace(await ws(workspaceId), parts),
  };
}
