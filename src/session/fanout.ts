import { env as workerEnv } from "cloudflare:workers";
import { and, eq, isNull, or } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { webhookEgress } from "../core/config";
import type { Event } from "../core/event";
import { nextRetryDelay } from "../core/webhook";
import type { WebhookEgress } from "../core/webhook-target";
import { webhooks } from "../store/schema";
import { recordDeliveryAttempt } from "../store/webhook-deliveries";
import type { KeyValue } from "./kv";
import type { EventLog } from "./log";
import { DeliveryFailure, postToWebhook, type Hook } from "./webhook-delivery";

type Outcome = {
  at: Date;
  cursor: number;
  ok: boolean;
  status: number | null;
  error: string | null;
  failures: number;
  nextAttemptAt: Date | null;
};
type Sink = {
  key: string;
  types: string[] | null;
  /** Resolves to the receiver's HTTP status when it has one. */
  send(events: Event[]): Promise<number | null>;
  /** Where the outcome of an attempt is shown (webhooks: their D1 delivery row). */
  report?(outcome: Outcome): Promise<void>;
};

const BATCH = 100;
const HOOK_CACHE_MS = 5_000;

/**
 * Event fan-out beyond our own readers: signed webhooks (per session and per tenant) and an optional
 * Cloudflare Queue. Each sink has a delivery cursor in the DO's storage, so delivery is in order, resumes
 * where it stopped after a restart, and a failing sink is retried with backoff without blocking the others.
 * A failed batch is pinned: its retry carries the same events (and so the same webhook-id), even if more arrived.
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
    // Read from the deployment's bindings at each delivery, so a changed setting applies to stored webhooks too.
    private readonly egress: () => WebhookEgress = () => webhookEgress(workerEnv),
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
    // A failing sink waits out its backoff, even when new events (a flush) call fan-out sooner.
    const waitMs = (this.kv.get<number>(`fanout_next:${sink.key}`) ?? 0) - Date.now();
    if (waitMs > 0) return waitMs;
    for (;;) {
      const cursor = this.cursorOf(sink.key);
      const pinned = this.kv.get<number>(`fanout_pinned:${sink.key}`);
      const events = this.log.read({
        after: cursor,
        limit: BATCH,
        ...(pinned !== null ? { before: pinned + 1 } : {}),
        ...(sink.types ? { types: sink.types } : {}),
      });
      const scannedTo = pinned ?? (events.length === BATCH ? events[events.length - 1]!.sequence : this.log.lastSequence);
      if (events.length === 0) {
        if (scannedTo > cursor) this.kv.put(`fanout_cursor:${sink.key}`, scannedTo);
        this.kv.delete(`fanout_pinned:${sink.key}`);
        if (pinned !== null) continue; // the pinned batch was pruned meanwhile: go on with the rest
        return null;
      }
      const at = new Date();
      let status: number | null;
      try {
        status = await sink.send(events);
      } catch (err) {
        const failures = (this.kv.get<number>(`fanout_attempts:${sink.key}`) ?? 0) + 1;
        const delay = nextRetryDelay(failures);
        this.kv.put(`fanout_attempts:${sink.key}`, failures);
        this.kv.put(`fanout_error:${sink.key}`, err instanceof Error ? err.message : String(err));
        this.kv.put(`fanout_next:${sink.key}`, at.getTime() + delay);
        this.kv.put(`fanout_pinned:${sink.key}`, scannedTo);
        await this.report(sink, {
          at,
          cursor,
          ok: false,
          status: err instanceof DeliveryFailure ? err.status : null,
          error: err instanceof Error ? err.message : String(err),
          failures,
          nextAttemptAt: new Date(at.getTime() + delay),
        });
        return delay;
      }
      this.kv.put(`fanout_cursor:${sink.key}`, scannedTo);
      for (const k of ["attempts", "error", "next", "pinned"]) this.kv.delete(`fanout_${k}:${sink.key}`);
      await this.report(sink, { at, cursor: scannedTo, ok: true, status, error: null, failures: 0, nextAttemptAt: null });
    }
  }

  /** Best effort: the object's storage is the source of truth; a D1 hiccup must not fail or repeat a delivery. */
  private async report(sink: Sink, outcome: Outcome): Promise<void> {
    try {
      await sink.report?.(outcome);
    } catch {
      /* the next attempt writes the row again */
    }
  }

  private async sinks(): Promise<Sink[]> {
    const sinks: Sink[] = [];
    const ids = this.ids();
    if (!ids) return sinks;
    if (this.queue) {
      const queue = this.queue;
      sinks.push({
        key: "queue",
        types: null,
        send: async (events) => {
          await queue.sendBatch(events.map((e) => ({ body: e, contentType: "json" })));
          return null;
        },
      });
    }
    for (const hook of await this.loadHooks(ids.tenantId, ids.sessionId)) {
      sinks.push({
        key: `webhook:${hook.id}`,
        types: hook.types,
        send: (events) => postToWebhook(hook, ids.sessionId, events, this.egress(), this.fetcher),
        report: (o) =>
          recordDeliveryAttempt(this.d1, {
            webhookId: hook.id,
            tenantId: ids.tenantId,
            sessionId: ids.sessionId,
            cursor: o.cursor,
            at: o.at,
            ok: o.ok,
            status: o.status,
            error: o.error,
            consecutiveFailures: o.failures,
            nextAttemptAt: o.nextAttemptAt,
          }),
      });
    }
    return sinks;
  }

  private async loadHooks(tenantId: string, sessionId: string): Promise<Hook[]> {
    if (this.hooks && Date.now() - this.hooks.at < HOOK_CACHE_MS) return this.hooks.list;
    const rows = await drizzle(this.d1)
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.tenantId, tenantId), or(isNull(webhooks.sessionId), eq(webhooks.sessionId, sessionId))));
    const list = rows.map((r) => ({ id: r.id, url: r.url, secret: r.secret, types: r.types }));
    this.hooks = { at: Date.now(), list };
    return list;
  }
}
