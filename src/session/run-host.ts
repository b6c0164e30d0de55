import type { Config } from "../core/config";
import { costOf } from "../core/cost";
import { parsePricingTable, type PricingTable } from "../core/models";
import type { Event, EventInput } from "../core/event";
import type { Redactor } from "../core/redact";
import type { Run } from "../core/run";
import type { SubmitRunBody } from "../core/run-submit";
import type { Session } from "../core/session";
import type { TokenUsage } from "../core/usage";
import { createAdapter, providerNames } from "../providers/registry";
import { RouterAdapter } from "../providers/router";
import { routingStoreFor } from "../providers/routing-state";
import { RoutingPolicySchema } from "../core/routing/policy";
import { AppError } from "../core/errors";
import type { AdapterEvent } from "../core/adapter-event";
import type { ProviderAdapter } from "../providers/types";
import { sandboxFor, sandboxIsolation } from "../sandbox/resolve";
import { ArtifactStore } from "../artifacts/store";
import { WorkspaceTracker } from "./workspace-tracker";
import type { Env } from "../env";
import type { Alarms } from "./alarms";
import type { Approvals } from "./approvals";
import type { ExecutorHost } from "./executor";
import type { RunRecords } from "./run-records";
import type { SessionRecord } from "./session-record";
import type { TranscriptCache } from "./transcript-cache";
import type { RunManagerHooks } from "./runs";
import { observeRunTransition } from "./run-telemetry";

/** The DO's side of the executor contract, assembled from the DO's parts. */
export function createRunHost(d: {
  env: Env;
  config: Config;
  approvals: Approvals;
  record: SessionRecord;
  runs: RunRecords;
  alarms: Alarms;
  transcripts: TranscriptCache;
  redactor: Redactor;
  append: (inputs: EventInput[]) => Event[];
}): ExecutorHost & RunManagerHooks {
  // PRICING_TABLE (JSON, USD per million tokens) overrides the built-in prices; it is validated once here.
  const pricing = loadPricing(d.env.PRICING_TABLE);
  const session = (): Session => {
    const s = d.record.get();
    if (!s) throw new Error("session record missing");
    return s;
  };
  return {
    env: d.env,
    approvals: d.approvals,
    approvalTimeoutMs: d.config.approvalTimeoutMs,
    session,
    saveSession: (s) => d.record.put(s),
    getRun: (id) => {
      const run = d.runs.get(id);
      if (!run) throw new Error(`run ${id} missing`);
      return run;
    },
    saveRun: (run) => d.runs.put(run),
    emit: (run: Run, e: AdapterEvent): Event => {
      const [stored] = d.append([{ ...e, run_id: run.id, provider: run.provider, data: e.data ?? {}, metadata: e.metadata ?? {} }]);
      return stored!;
    },
    sandbox: () => sandboxFor(d.env, session().id),
    isolation: () => sandboxIsolation(d.env, session().id),
    workspace: (run, opts, emit) => {
      const s = session();
      const artifacts = new ArtifactStore(d.env.ARTIFACTS, d.env.DB);
      return new WorkspaceTracker(
        sandboxFor(d.env, s.id),
        opts,
        emit,
        async (patch, from, to) => {
          const ref = await artifacts.put({
            tenantId: s.tenant_id,
            sessionId: s.id,
            runId: run.id,
            prefix: `patch_${from.slice(0, 12)}_${to.slice(0, 12)}`,
            content: patch,
            contentType: "text/x-diff",
          });
          emit({
            type: "artifact_stored",
            data: { key: ref.key, size: ref.size, sha256: ref.sha256, content_type: ref.content_type, kind: "patch" },
          });
          return ref;
        },
        d.config.inlinePatchMaxBytes,
        (patch) => d.redactor.text(patch).value,
      );
    },
    adapter: (provider: string, body: SubmitRunBody): ProviderAdapter => {
      const deps = { env: d.env, config: d.config };
      if (provider !== "router") return createAdapter(provider, deps);
      // The router composes every other adapter; its breaker and health are shared by the tenant's sessions.
      if (!d.env.ROUTING) throw new AppError("dependency_not_available", "the ROUTING Durable Object binding is missing");
      const adapters = new Map(
        providerNames()
          .filter((n) => n !== "router")
          .map((n) => [n, createAdapter(n, deps)] as const),
      );
      return new RouterAdapter({
        adapters,
        state: routingStoreFor(d.env.ROUTING, session().tenant_id),
        policy: RoutingPolicySchema.parse({
          ...body.routing,
          required_capabilities: [...(body.routing?.required_capabilities ?? []), ...(body.required_capabilities ?? [])],
        }),
      });
    },
    transcriptFor: (run, body, usingNative) => d.transcripts.forRun(run, body, usingNative),
    nativeHandleFor: (run, body, adapter) => d.transcripts.nativeHandle(session(), run, body, adapter),
    costOf: (provider: string, model: string | null, usage: TokenUsage) => costOf(provider, model, usage, pricing),
    runTransition: (run) => observeRunTransition(d.env, session().tenant_id, run),
    keepAlive: (active) => {
      if (active) void d.alarms.set("keepalive", Date.now() + 20_000, true);
      else void d.alarms.clear("keepalive");
    },
  };
}

/** A malformed PRICING_TABLE is reported and the built-in prices are used, rather than failing every run. */
function loadPricing(raw: unknown): PricingTable | undefined {
  try {
    return parsePricingTable(typeof raw === "string" ? raw : undefined);
  } catch (err) {
    console.error("PRICING_TABLE ignored:", err instanceof Error ? err.message : String(err));
    return undefined;
  }
}
