import { AppError } from "../src/core/errors";
import type { Diff, RollbackResponse, Snapshot } from "../src/core/sandbox-protocol";
import type { DiffRequestSchema, RollbackRequestSchema, SnapshotRequestSchema } from "../src/core/sandbox-protocol";
import type { z } from "zod";
import { resolveInside, type Workspace } from "./paths";
import { gitDiff, gitRollback, gitSnapshot, gitTopLevel } from "./snapshot-git";
import { hashDiff, hashSnapshot } from "./snapshot-hash";

/** Chooses the snapshot backend (`auto`: git when the path is inside a repository of the workspace). */

export async function takeSnapshot(root: string, ws: Workspace, req: z.output<typeof SnapshotRequestSchema>): Promise<Snapshot> {
  const label = req.label ?? null;
  let backend = req.backend;
  if (backend === "auto") {
    const dir = await resolveInside(ws, req.path);
    backend = (await gitTopLevel(ws, dir)) ? "git" : "hash";
  }
  return backend === "git" ? gitSnapshot(ws, req.path, label) : hashSnapshot(root, ws, req.path, label, req.ignore);
}

export async function diffSnapshots(root: string, ws: Workspace, req: z.output<typeof DiffRequestSchema>): Promise<Diff> {
  if (req.from.backend !== req.to.backend) {
    throw new AppError("validation_error", `cannot diff a ${req.from.backend} snapshot against a ${req.to.backend} one`);
  }
  return req.from.backend === "git"
    ? gitDiff(ws, req.from, req.to, req.capture_patch, req.max_patch_bytes)
    : hashDiff(root, ws, req.from, req.to);
}

export async function rollbackSnapshot(ws: Workspace, req: z.output<typeof RollbackRequestSchema>): Promise<RollbackResponse> {
  if (req.snapshot.backend !== "git") {
    throw new AppError("validation_error", "rollback needs a git snapshot; the hash backend records hashes, not contents", {
      backend: req.snapshot.backend,
    });
  }
  return gitRollback(ws, req.snapshot);
}
