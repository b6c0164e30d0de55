import { and, eq, isNull, or } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { Event } from "../core/event";
import { parseJsonColumn } from "../core/json";
import { nextRetryDelay, signPayload } from "../core/webhook";
import { webhooks } from "../store/schema";
import type { KeyValue } from "./kv";
import type { EventLog } from "./log";

type Hook = { id: string; url: string; secret: string; types: string[] | null };
type Sink = { key: string; send(events: Event[]): Promise<void>; types: string[] | null };

const BATCH = 100;
const HOOK_CACHE_MS = 5_000;

/**
 * Event fan-out beyond our own readers: signed webhooks (per session and per tenant) and an optional
 * Cloudflare Queue. Each sink has a delivery cursor in the DO's storage, so delivery is in order, resumes
 * where it stopped after a restart, and a failing sink is retried with backoff without blocking the others.
 */
export class FanOut {
  private hooks: { at: number; list: Hook[] } | null = null;

  constructor(
    private readonly kv: KeyValue,
    private readonly log: EventLog,
    private readonly d1: D1Database,
    private readonly queue: Queue | undefined,
    private readonly ids: () => { tenantId: string; sessionId: string } | null,
    private readonly fetcher: (req: Request) => Promise<Response> = (req) => fetch(req),
  ) {}

  /**
   * Delivers what each sink has not seen. Returns the delay before the next retry, or null when all caught up.
   * Calls are serialized: two overlapping runs would read the same cursor and post the same batch twice.
   */
  async run(): Promise<number | null> {
    const previous = this.running;
    const current = previous.catch(() => null).then(() => this.runOnce());
    this.running = current.catch(() => null);
    return current;
  }

  private running: Promise<number | null> = Promise.resolve(null);

  private async runOnce(): Promise<number | null> {
    const sinks = await this.sinks();
    let retryIn: number | null = null;
    for (const sink of sinks) {
      const delay = await this.drain(sink);
      if (delay !== null) retryIn = retryIn === null ? delay : Math.min(retryIn, delay);
    }
    return retryIn;
  }

  get hasSinks(): boolean {
    return this.queue !== undefined || (this.hooks?.list.length ?? 1) > 0;
  }

  /** Drops the cached webhook list, so a webhook just added or removed for this session applies at once. */
  forgetHooks(): void {
    this.hooks = null;
  }

  cursorOf(key: string): number {
    return this.kv.get<number>(`fanout_cursor:${key}`) ?? 0;
  }

  private async drain(sink: Sink): Promise<number | null> {
    for (;;) {
      const cursor = this.cursorOf(sink.key);
      const events = this.log.read({ after: cursor, limit: BATCH, ...(sink.types ? { types: sink.types } : {}) });
      const scannedTo = events.length === BATCH ? events[events.length - 1]!.sequence : this.log.lastSequence;
      if (events.length === 0) {
        if (scannedTo > cursor) this.kv.put(`fanout_cursor:${sink.key}`, scannedTo);
        return null;
      }
      try {
        await sink.send(events);
      } catch (err) {
        const attempt = (this.kv.get<number>(`fanout_attempts:${sink.key}`) ?? 0) + 1;
        this.kv.put(`fanout_attempts:${sink.key}`, attempt);
        this.kv.put(`fanout_error:${sink.key}`, err instanceof Error ? err.message : String(err));
        return nextRetryDelay(attempt);
      }
      this.kv.put(`fanout_cursor:${sink.key}`, scannedTo);
      this.kv.delete(`fanout_attempts:${sink.key}`);
      this.kv.delete(`fanout_error:${sink.key}`);
    }
  }

  private async sinks(): Promise<Sink[]> {
    const sinks: Sink[] = [];
    const ids = this.ids();
    if (!ids) return sinks;
    if (this.queue) {
      const queue = this.queue;
      sinks.push({ key: "queue", types: null, send: async (events) => { await queue.sendBatch(events.map((e) => ({ body: e, contentType: "json" }))); } });
    }
    for (const hook of await this.loadHooks(ids.tenantId, ids.sessionId)) {
      sinks.push({ key: `webhook:${hook.id}`, types: hook.types, send: (events) => this.post(hook, ids.sessionId, events) });
    }
    return sinks;
  }

  private async loadHooks(tenantId: string, sessionId: string): Promise<Hook[]> {
    if (this.hooks && Date.now() - this.hooks.at < HOOK_CACHE_MS) return this.hooks.list;
    const rows = await drizzle(this.d1).select().from(webhooks)
      .where(and(eq(webhooks.tenantId, tenantId), or(isNull(webhooks.sessionId), eq(webhooks.sessionId, sessionId))));
    const list = rows.map((r) => ({ id: r.id, url: r.url, secret: r.secret, types: parseJsonColumn<string[] | null>(r.types, null) }));
    this.hooks = { at: Date.now(), list };
    return list;
  }

  private async post(hook: Hook, sessionId: string, events: Event[]): Promise<void> {
    const body = JSON.stringify({ webhook_id: hook.id, session_id: sessionId, events });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = await signPayload(hook.secret, timestamp, body);
    const res = await this.fetcher(new Request(hook.url, {
      method: "POST", body,
      headers: {
        "content-type": "application/json",
        "x-asm-signature": signature,
        "x-asm-delivery": `${hook.id}:${events[0]!.sequence}-${events[events.length - 1]!.sequence}`,
      },
    }));
    await res.body?.cancel();
    if (!res.ok) throw new Error(`webhook ${hook.id} answered ${res.status}`);
  }
}
