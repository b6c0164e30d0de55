import { loadConfig } from "../core/config";
import { AppError } from "../core/errors";
import type { IsolationInfo } from "../core/sandbox-protocol";
import { SandboxClient } from "./client";
import type { SandboxContainer } from "./container";

/**
 * Picks how to reach a session's sandbox: SANDBOX_URL (a local `tsx sandbox/main.ts`) wins; otherwise the
 * SANDBOX container binding, one container per workspace (= session), addressed by `idFromName(workspace)`.
 */

export type SandboxEnv = {
  SANDBOX_URL?: string;
  SANDBOX_TOKEN?: string;
  SANDBOX?: DurableObjectNamespace<SandboxContainer> | DurableObjectNamespace;
};

/** The host is never resolved: the container stub routes by DO, the port comes from `defaultPort`. */
const CONTAINER_BASE_URL = "http://sandbox.container";

/** True when this deployment has a sandbox at all (a session's workspace may then exist and must be removed). */
export function sandboxConfigured(env: SandboxEnv): boolean {
  return Boolean(env.SANDBOX_URL || env.SANDBOX);
}

export function sandboxFor(env: SandboxEnv, workspace: string): SandboxClient {
  const token = env.SANDBOX_TOKEN ?? "";
  const config = loadConfig(env);
  const retry = { attempts: Math.max(1, config.sandboxRetryAttempts), baseMs: config.sandboxRetryBaseMs };
  if (env.SANDBOX_URL) {
    if (!token) throw new AppError("dependency_not_available", "SANDBOX_URL is set but SANDBOX_TOKEN is not");
    return new SandboxClient({ fetcher: { fetch: (request) => fetch(request) }, baseUrl: env.SANDBOX_URL, token, workspace, retry });
  }
  if (env.SANDBOX) {
    if (!token) throw new AppError("dependency_not_available", "the SANDBOX container binding needs SANDBOX_TOKEN");
    // What `getContainer(binding, name)` does, without importing the library (it needs `cloudflare:workers`,
    // which would keep this module out of Node); only `fetch` is used, so the stub's class type does not matter.
    const namespace = env.SANDBOX as DurableObjectNamespace;
    const stub = namespace.get(namespace.idFromName(workspace));
    return new SandboxClient({
      fetcher: { fetch: (request) => stub.fetch(request) },
      baseUrl: CONTAINER_BASE_URL,
      token,
      workspace,
      retry,
    });
  }
  throw new AppError(
    "dependency_not_available",
    "no sandbox configured: set SANDBOX_URL (and SANDBOX_TOKEN) for a local sandbox server, or bind the SANDBOX container",
  );
}

const ISOLATION_TTL_MS = 30_000;
let isolationCache: { at: number; info: IsolationInfo } | null = null;

/**
 * How the sandbox isolates runs, asked at most every 30 s per isolate (it changes only when the sandbox restarts);
 * null when there is no sandbox or it does not answer (then it is asked again next time).
 */
export async function sandboxIsolation(env: SandboxEnv, workspace: string): Promise<IsolationInfo | null> {
  if (isolationCache && Date.now() - isolationCache.at < ISOLATION_TTL_MS) return isolationCache.info;
  if (!sandboxConfigured(env)) return null;
  const info = await sandboxFor(env, workspace)
    .health()
    .then(
      (h) => h.isolation,
      () => null,
    );
  if (info) isolationCache = { at: Date.now(), info };
  return info;
}
