import { AppError } from "../core/errors";
import type { JsonObject } from "../core/json";
import type { Run } from "../core/run";
import type { SubmitRunBody } from "../core/run-submit";
import type { Session } from "../core/session";
import { buildTranscript, ContinuationOptsSchema, truncateTranscript, updateTranscript, type Transcript } from "../core/transcript";
import type { ExecutionContext, ProviderAdapter } from "../providers/types";
import type { TranscriptMessage } from "../core/transcript";
import type { EventLog } from "./log";

const PAGE = 1000;

/**
 * The session transcript, cached in memory and brought up to date from new events only. The cache is an
 * optimisation: after a restart it is rebuilt from the log, so correctness never depends on it.
 */
export class TranscriptCache {
  private cached: Transcript | null = null;
  /** The last sequence read: it runs ahead of the transcript's own when a left-out run's events come last. */
  private cursor = 0;

  constructor(
    private readonly log: EventLog,
    private readonly sessionId: () => string,
    /** Runs whose events the transcript leaves out (rolled back by a `rollback` submission). */
    private readonly excluded: () => ReadonlySet<string> = () => new Set(),
  ) {}

  current(): Transcript {
    if (!this.cached) this.cached = buildTranscript([], this.sessionId());
    const excluded = this.excluded();
    for (;;) {
      const fresh = this.log.read({ after: this.cursor, limit: PAGE });
      if (fresh.length === 0) break;
      this.cursor = fresh[fresh.length - 1]!.sequence;
      const kept = excluded.size ? fresh.filter((e) => !e.run_id || !excluded.has(e.run_id)) : fresh;
      if (kept.length) this.cached = updateTranscript(this.cached, kept);
      if (fresh.length < PAGE) break;
    }
    return this.cached;
  }

  reset(): void {
    this.cached = null;
    this.cursor = 0;
  }

  /** Replay continuation: the prior conversation, truncated per `continuation_opts`; null when not replaying. */
  forRun(_run: Run, body: SubmitRunBody, usingNative: boolean): TranscriptMessage[] | null {
    const mode = body.continuation ?? false;
    if (mode === false || mode === "native" || (mode === "auto" && usingNative)) return null;
    const parsed = ContinuationOptsSchema.safeParse(body.continuation_opts ?? {});
    if (!parsed.success) throw new AppError("validation_error", `continuation_opts: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    return truncateTranscript(this.current().messages, parsed.data);
  }

  /**
   * Native continuation uses the provider's own handle from `session.metadata.provider_sessions[provider]`;
   * `native` fails clearly when there is none, `auto` falls back to replay.
   */
  nativeHandle(session: Session, run: Run, body: SubmitRunBody, adapter: ProviderAdapter): ExecutionContext["native_handle"] {
    const mode = body.continuation ?? false;
    if (mode !== "native" && mode !== "auto") return null;
    const handles = (session.metadata.provider_sessions ?? {}) as Record<string, JsonObject | undefined>;
    const handle = handles[run.provider];
    const usable = adapter.capabilities.native_continuation && handle && typeof handle.provider_session_id === "string";
    if (usable) return { provider_session_id: handle.provider_session_id as string, model: (handle.model as string | null) ?? null };
    if (mode === "auto") return null;
    if (!adapter.capabilities.native_continuation) {
      throw new AppError(
        "capability_not_supported",
        `Provider '${run.provider}' has no native continuation; use continuation: "replay" or "auto"`,
      );
    }
    throw new AppError(
      "validation_error",
      `No native continuation handle for '${run.provider}' in this session yet; a first run must create one (or use "auto")`,
    );
  }
}
