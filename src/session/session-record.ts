import type { Redactor } from "../core/redact";
import type { Session } from "../core/session";
import type { KeyValue } from "./kv";

/**
 * The authoritative session row, kept in the DO. `dirty` marks it for the next D1 flush; it is cleared only
 * once D1 holds the version that was flushed (compared by `updated_at` + revision). The caller-supplied fields
 * (agent_id, metadata, context, tags) are redacted on every write, so neither this copy nor D1 holds a secret.
 */
export class SessionRecord {
  private cached: Session | null | undefined;
  private revision: number;

  constructor(
    private readonly kv: KeyValue,
    private readonly redactor: Redactor,
  ) {
    this.revision = kv.get<number>("session_revision") ?? 0;
  }

  get(): Session | null {
    if (this.cached === undefined) this.cached = this.kv.get<Session>("session");
    return this.cached;
  }

  put(session: Session): void {
    const stored = this.redacted(session);
    this.cached = stored;
    this.revision += 1;
    this.kv.put("session", stored);
    this.kv.put("session_revision", this.revision);
  }

  private redacted(session: Session): Session {
    const { agent_id, metadata, context, tags } = session;
    const { value, count } = this.redactor.value({ agent_id, metadata, context, tags });
    // Two tags redacted to the same marker are one tag.
    return count === 0 ? session : { ...session, ...value, tags: [...new Set(value.tags)] };
  }

  /** Revision of the current record; the flusher records which revision D1 holds. */
  get currentRevision(): number {
    return this.revision;
  }

  get flushedRevision(): number {
    return this.kv.get<number>("session_flushed_revision") ?? 0;
  }

  markFlushed(revision: number): void {
    this.kv.put("session_flushed_revision", revision);
  }

  get isDirty(): boolean {
    return this.get() !== null && this.flushedRevision < this.revision;
  }

  /** Forgets the in-memory copy (after storage was wiped). */
  reset(): void {
    this.cached = undefined;
    this.revision = 0;
  }
}
