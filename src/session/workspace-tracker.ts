import { AppError } from "../core/errors";
import type { JsonObject } from "../core/json";
import type { Diff, Snapshot } from "../core/sandbox-protocol";
import type { WorkspaceOptionsSchema } from "../core/run-submit";
import type { z } from "zod";
import type { SandboxClient } from "../sandbox/client";
import type { AdapterEvent } from "../core/adapter-event";
import type { ArtifactRef } from "../artifacts/store";

export type WorkspaceOptions = z.infer<typeof WorkspaceOptionsSchema>;

/** What a run records about its workspace (run.metadata.workspace). */
export type WorkspaceSummary = {
  backend: string;
  path: string;
  before_ref: string;
  after_ref: string;
  diff: { files_changed: number; insertions: number; deletions: number; added: string[]; modified: string[]; deleted: string[] };
  patch: string | null;
  patch_ref: string | null;
  patch_bytes: number;
  rolled_back: boolean;
  rollback_safety_ref: string | null;
};

/**
 * Snapshots the workspace before and after a run, computes the diff, moves a large patch to R2, and rolls
 * back on failure when asked (git only). The patch is redacted as soon as it arrives, so neither the run
 * record, the R2 object nor `GET …/diff` can hold a secret a run wrote into a file.
 */
export class WorkspaceTracker {
  private before: Snapshot | null = null;

  constructor(
    private readonly sandbox: SandboxClient,
    private readonly opts: WorkspaceOptions,
    private readonly emit: (e: AdapterEvent) => void,
    private readonly storePatch: (patch: string, from: string, to: string) => Promise<ArtifactRef>,
    private readonly inlinePatchMaxBytes: number,
    private readonly redact: (text: string) => string,
  ) {}

  async snapshotBefore(): Promise<void> {
    this.before = await this.sandbox.snapshot({
      path: this.opts.path,
      backend: this.opts.backend,
      label: "before",
      ...(this.opts.ignore ? { ignore: this.opts.ignore } : {}),
    });
    if (this.opts.rollback_on_failure && this.before.backend !== "git") {
      throw new AppError("validation_error", "rollback_on_failure needs the git backend; this workspace is not a git repository", {
        backend: this.before.backend,
      });
    }
    this.emit({ type: "workspace_snapshot_taken", data: this.snapshotData(this.before) });
  }

  async finish(succeeded: boolean): Promise<WorkspaceSummary | null> {
    if (!this.before) return null;
    const after = await this.sandbox.snapshot({
      path: this.opts.path,
      backend: this.before.backend,
      label: succeeded ? "after" : "after_failure",
      ...(this.opts.ignore ? { ignore: this.opts.ignore } : {}),
    });
    this.emit({ type: "workspace_snapshot_taken", data: this.snapshotData(after) });
    const diff: Diff = await this.sandbox.diff(this.before, after, { capture_patch: this.opts.capture_patch });
    const patch = diff.patch == null ? null : this.redact(diff.patch);
    const patchBytes = patch ? new TextEncoder().encode(patch).byteLength : 0;
    let patchRef: ArtifactRef | null = null;
    if (patch && patchBytes > this.inlinePatchMaxBytes) patchRef = await this.storePatch(patch, this.before.ref, after.ref);
    const summary = {
      files_changed: diff.files_changed,
      insertions: diff.insertions,
      deletions: diff.deletions,
      added: diff.added,
      modified: diff.modified,
      deleted: diff.deleted,
    };
    this.emit({
      type: "workspace_diff_computed",
      data: {
        ...summary,
        backend: diff.backend,
        from_ref: diff.from_ref,
        to_ref: diff.to_ref,
        has_patch: patch !== null && patch.length > 0,
        patch_bytes: patchBytes,
        patch_ref: patchRef?.key ?? null,
      },
    });
    let rolledBack = false;
    let safety: string | null = null;
    if (!succeeded && this.opts.rollback_on_failure && this.before.backend === "git") {
      const result = await this.sandbox.rollback(this.before);
      rolledBack = true;
      safety = result.safety_snapshot.ref;
      this.emit({
        type: "workspace_snapshot_taken",
        data: { label: "rolled_back", backend: "git", ref: this.before.ref, safety_ref: safety, removed: result.removed },
      });
    }
    return {
      backend: diff.backend,
      path: this.opts.path,
      before_ref: this.before.ref,
      after_ref: after.ref,
      diff: summary,
      patch: patchRef ? null : patch,
      patch_ref: patchRef?.key ?? null,
      patch_bytes: patchBytes,
      rolled_back: rolledBack,
      rollback_safety_ref: safety,
    };
  }

  private snapshotData(s: Snapshot): JsonObject {
    return { label: s.label, backend: s.backend, ref: s.ref, path: s.path, captured_at: s.captured_at, metadata: s.metadata };
  }
}
