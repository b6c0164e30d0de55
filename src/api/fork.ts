import { createRoute } from "@hono/zod-openapi";
import { AppError } from "../core/errors";
import type { Event, EventPage } from "../core/event";
import type { Run } from "../core/run";
import type { Session } from "../core/session";
import { ForkBodySchema, ForkResultSchema, lastSnapshot, planFork, type ForkResult, type ForkWorkspace } from "../core/session-fork";
import { discardForkWorkspace, restoreForkWorkspace } from "./fork-workspace";
import { BODY_ERRORS, errorResponses, HEADERS, jsonBody, jsonResponse, router, SessionIdParams } from "./openapi";
import { call, sessionStub, sessionStubFor } from "./session-stub";

/** Time travel: a new session from a session's log up to a sequence, with its workspace where a snapshot allows. */
export const forkApi = router();

const PAGE = 500;
/** What one fork copies goes to the new session's object in one call, far below the RPC message limit (32 MiB). */
const MAX_FORK_BYTES = 16 * 1024 * 1024;

forkApi.openapi(
  createRoute({
    method: "post",
    path: "/sessions/{id}/fork",
    tags: ["sessions"],
    operationId: "forkSession",
    summary: "Fork the session at a sequence: a new session with events 1..at_sequence, their runs and the workspace as of then",
    description:
      "The new session (same tenant, new id, status active) holds a copy of events 1..at_sequence with their sequences " +
      "and ids (run ids rewritten), the runs those events belong to under new ids (a run that had not ended by at_sequence is " +
      "cancelled there, without output or usage), so its transcript and replay continuation see only those. Its metadata gets " +
      "`forked_from {session_id, at_sequence, workspace}`; new events continue at at_sequence + 1. Where the last workspace " +
      "snapshot at or before at_sequence is a git snapshot, the fork's workspace is restored to it (repository history up to " +
      "the snapshot, HEAD as it was, the snapshot's files in the working tree); if that cannot be done nothing is created. " +
      "at_sequence beyond the latest sequence is 400 sequence_out_of_range.",
    request: { params: SessionIdParams, ...jsonBody(ForkBodySchema) },
    responses: {
      201: jsonResponse(ForkResultSchema, "The fork", HEADERS.location),
      ...errorResponses(...BODY_ERRORS, 404, 409),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const { at_sequence: atSequence } = c.req.valid("json");
    const stub = sessionStub(c, id);
    const source = await call<Session>(stub.getSession());
    if (atSequence > source.last_sequence) {
      throw new AppError(
        "sequence_out_of_range",
        `at_sequence ${atSequence} is beyond the session's latest sequence ${source.last_sequence}`,
        {
          field: "at_sequence",
          at_sequence: atSequence,
          latest_sequence: source.last_sequence,
        },
      );
    }
    let bytes = 0;
    const count = (items: unknown[]) => {
      bytes += JSON.stringify(items).length;
      if (bytes > MAX_FORK_BYTES)
        throw new AppError("payload_too_large", `A fork copies at most ${MAX_FORK_BYTES} bytes of events and runs`, {
          limit_bytes: MAX_FORK_BYTES,
        });
    };
    const events: Event[] = [];
    for (let after = 0; ; ) {
      const page = await call<EventPage>(stub.readEvents({ after, before: atSequence + 1, limit: PAGE }));
      count(page.events);
      events.push(...page.events);
      const last = page.events[page.events.length - 1];
      if (!last || page.next_after === null) break;
      after = last.sequence;
    }
    const referenced = new Set(events.flatMap((e) => (e.run_id ? [e.run_id] : [])));
    const runs: Run[] = [];
    for (let cursor = 0; ; ) {
      const page = await call<{ items: Run[]; next: number | null }>(stub.listRuns(PAGE, cursor));
      const kept = page.items.filter((r) => referenced.has(r.id));
      count(kept);
      runs.push(...kept);
      if (page.next === null) break;
      cursor = page.next;
    }
    const snap = lastSnapshot(events);
    const workspace: ForkWorkspace = {
      status: !snap ? "none" : snap.snapshot.backend === "git" ? "restored" : "not_restorable",
      snapshot_sequence: snap?.sequence ?? null,
      ref: snap?.snapshot.ref ?? null,
      path: snap?.snapshot.path ?? null,
    };
    const tenantId = c.get("tenantId");
    const plan = planFork({ source, runs, events, atSequence, tenantId, now: new Date().toISOString(), workspace });
    // The workspace first: if it cannot be restored, no session exists that claims it was.
    if (snap && workspace.status === "restored") await restoreForkWorkspace(c.env, source.id, plan.session.id, snap.snapshot);
    let created: Session;
    try {
      created = await call<Session>(
        sessionStubFor(c.env, tenantId, plan.session.id).importSession(plan.session, plan.runs, plan.events, atSequence),
      );
    } catch (err) {
      if (workspace.status === "restored") await discardForkWorkspace(c.env, plan.session.id);
      throw err;
    }
    c.header("location", `/v1/sessions/${created.id}`);
    const result: ForkResult = {
      session: created,
      forked_from: { session_id: source.id, at_sequence: atSequence },
      run_ids: plan.runIds,
      run_count: plan.runs.length,
      event_count: plan.events.length,
      workspace,
    };
    return c.json(result, 201);
  },
);
