import { Container } from "@cloudflare/containers";

/**
 * The sandbox container: one per session, running sandbox/server.ts from sandbox/Dockerfile.
 * The shared token reaches the server as SANDBOX_TOKEN; the Worker's client sends the same one.
 */

export const SANDBOX_CONTAINER_PORT = 8788;
/** Workspaces live here inside the image, each owned by its own unprivileged user (sandbox/isolation.ts). */
export const SANDBOX_CONTAINER_ROOT = "/workspace";

type SandboxContainerEnv = { SANDBOX_TOKEN?: string };

// Typed over the library's default Env so `getContainer` accepts the namespace; we read only SANDBOX_TOKEN.
export class SandboxContainer extends Container {
  override defaultPort = SANDBOX_CONTAINER_PORT;
  /** Idle sessions give their container back; workspaces do not survive a stop (snapshots go to R2 if needed). */
  override sleepAfter = "15m";

  constructor(ctx: DurableObjectState<{}>, env: Cloudflare.Env) {
    super(ctx, env);
    this.envVars = {
      SANDBOX_TOKEN: (env as SandboxContainerEnv).SANDBOX_TOKEN ?? "",
      SANDBOX_PORT: String(SANDBOX_CONTAINER_PORT),
      // Inside the container the server must listen beyond loopback for the runtime to reach it.
      SANDBOX_HOST: "0.0.0.0",
      SANDBOX_ROOT: SANDBOX_CONTAINER_ROOT,
      // Production never runs a command unisolated: without bubblewrap the server refuses to start.
      SANDBOX_ISOLATION: "bubblewrap",
    };
  }

  override onError(error: unknown): never {
    console.error("sandbox container error", error);
    throw error;
  }
}
