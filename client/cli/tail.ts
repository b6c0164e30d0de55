import type { AsmClient } from "../client";
import type { Event } from "../../src/core/event";
import { RUN_TERMINAL_EVENT_TYPES } from "../../src/core/event-types";
import { createRenderer, streamWriter, type RenderFormat, type RenderOptions } from "../render/index";
import { str } from "../render/fields";
import type { CliIo } from "./io";
import { Spinner } from "./spinner";

export type TailOptions = {
  sessionId: string;
  from?: number | undefined;
  runId?: string | undefined;
  types?: string[] | undefined;
  format: RenderFormat;
  render: RenderOptions;
  /** Follow live (default) or print what exists and stop. */
  follow: boolean;
  /** Stop when this run ends (set by `asm run --wait` and by `tail --run`). */
  untilRunEnds?: string | undefined;
  transport?: "auto" | "websocket" | "poll" | undefined;
  /** Without a terminal to ask on, return the awaited run's pending approval request instead of waiting forever. */
  stopAtApproval?: boolean | undefined;
};

const TERMINAL: ReadonlySet<string> = new Set(RUN_TERMINAL_EVENT_TYPES);

/**
 * Streams a session's events through a renderer; returns the terminal event of the awaited run, if any, or (with
 * stopAtApproval and no terminal) the approval request it waits on.
 */
export async function tail(client: AsmClient, io: CliIo, opts: TailOptions): Promise<Event | null> {
  const tty = io.stdout.isTTY === true;
  const renderer = createRenderer(opts.format, {
    ...opts.render,
    color: (opts.render.color ?? tty) && tty,
    cursor: tty && opts.format === "studio",
  });
  const writer = streamWriter(io.stdout, tty);
  const spinner = new Spinner(io.stdout, tty && opts.format !== "jsonl");
  const out = (text: string) => (tty ? spinner.write(text) : writer.write(text));
  const active = new Map<string, "queued" | "running">();
  const controller = new AbortController();
  const stop = () => controller.abort();
  io.signal?.addEventListener("abort", stop, { once: true });

  const source: AsyncIterable<Event> = opts.follow
    ? client.events(opts.sessionId, {
        from: opts.from,
        runId: opts.runId,
        types: opts.types,
        signal: controller.signal,
        transport: opts.transport,
      })
    : client.readAll(opts.sessionId, { after: Math.max(0, (opts.from ?? 1) - 1), run_id: opts.runId, type: opts.types }, controller.signal);

  let terminal: Event | null = null;
  try {
    for await (const e of source) {
      out(renderer.render(e));
      if (e.run_id) trackRun(active, e);
      if (e.type === "tool_approval_requested" && opts.follow) {
        if (!io.ask && opts.stopAtApproval && e.run_id === opts.untilRunEnds && (await stillAwaiting(client, e))) {
          terminal = e;
          break;
        }
        await askApproval(client, io, e, out, spinner);
      }
      updateSpinner(spinner, active);
      if (opts.untilRunEnds && e.run_id === opts.untilRunEnds && TERMINAL.has(e.type)) {
        terminal = e;
        break;
      }
    }
  } finally {
    spinner.stop();
    writer.write(renderer.finish());
    io.signal?.removeEventListener("abort", stop);
  }
  return terminal;
}

/** A replayed request may already be decided: only a run still awaiting approval stops the wait. */
async function stillAwaiting(client: AsmClient, e: Event): Promise<boolean> {
  const run = await client.getRun(e.session_id, e.run_id!).catch(() => null);
  return run?.status === "awaiting_approval";
}

function trackRun(active: Map<string, "queued" | "running">, e: Event): void {
  const id = e.run_id!;
  if (e.type === "run_queued") active.set(id, "queued");
  else if (TERMINAL.has(e.type)) active.delete(id);
  else if (e.type === "run_started" || active.has(id)) active.set(id, "running");
}

function updateSpinner(spinner: Spinner, active: Map<string, "queued" | "running">): void {
  if (active.size === 0) return spinner.stop();
  const running = [...active.values()].filter((s) => s === "running").length;
  spinner.set(running > 0 ? `running${active.size > 1 ? ` (${active.size} runs)` : ""}` : "queued");
}

/**
 * On a terminal, asks whether to grant a tool call that waits for approval, then sends the decision. Replayed
 * requests that were already decided are skipped: the run must still be awaiting approval.
 */
async function askApproval(client: AsmClient, io: CliIo, e: Event, out: (text: string) => void, spinner: Spinner): Promise<void> {
  if (!io.ask || !e.run_id) return;
  const toolCallId = str(e.data.tool_call_id);
  if (!toolCallId) return;
  const run = await client.getRun(e.session_id, e.run_id).catch(() => null);
  if (run?.status !== "awaiting_approval") return;
  spinner.stop();
  const answer = (
    await io.ask(`Allow ${str(e.data.tool_name) ?? "tool"} (${toolCallId})? [y]es / [n]o / or type a reason to deny: `)
  ).trim();
  const grant = /^(y|yes)$/i.test(answer);
  const reason = grant || /^(n|no)?$/i.test(answer) ? undefined : answer;
  try {
    await client.decideApproval(e.session_id, e.run_id, toolCallId, { decision: grant ? "grant" : "deny", ...(reason ? { reason } : {}) });
  } catch (err) {
    out(`(could not send the decision: ${err instanceof Error ? err.message : String(err)})\n`);
  }
}
