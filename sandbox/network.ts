import { copyFile, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AppError } from "../src/core/errors";
import type { NetworkPolicy } from "../src/core/sandbox-protocol";
import { PROXY_PORT_IN_JAIL, startEgressProxy } from "./egress-proxy";
import { JAIL_RUNTIME } from "./isolation";

/**
 * Network policies below the process. `none`: the jail's own network namespace, loopback only. `all`: the host's
 * network. `{allow}`: a namespace without a route, plus a bridge from 127.0.0.1:3128 inside to an allow-listing
 * proxy outside (the same shape as @anthropic-ai/sandbox-runtime, without its Node 22 requirement).
 */

const BRIDGE_SOURCE = fileURLToPath(new URL("./jail/net-bridge.cjs", import.meta.url));
const READY_FILE = "/tmp/.asm-proxy-ready";

export type PreparedNetwork = {
  runtimeDir: string;
  env: Record<string, string>;
  /** Prefix of the jailed argv: starts the bridge, waits until it listens, then execs the command. */
  entry: string[];
  close(): Promise<void>;
};

/** The bridge runs on the Node that runs this server; it must be visible inside the jail's read-only system. */
function jailNode(): string {
  const node = process.execPath;
  if (!node.startsWith("/usr/")) {
    throw new AppError("dependency_not_available", `network allow lists need Node under /usr inside the sandbox; this server runs ${node}`);
  }
  return node;
}

export async function prepareNetwork(policy: NetworkPolicy, runtimeRoot: string, id: string): Promise<PreparedNetwork | null> {
  if (policy === "none" || policy === "all") return null;
  const node = jailNode();
  const runtimeDir = join(runtimeRoot, id);
  await mkdir(runtimeDir, { recursive: true, mode: 0o755 });
  await copyFile(BRIDGE_SOURCE, join(runtimeDir, "net-bridge.cjs"));
  const proxy = await startEgressProxy(join(runtimeDir, "proxy.sock"), policy.allow);
  const url = `http://127.0.0.1:${PROXY_PORT_IN_JAIL}`;
  const script = [
    `${node} ${JAIL_RUNTIME}/net-bridge.cjs ${PROXY_PORT_IN_JAIL} ${JAIL_RUNTIME}/proxy.sock ${READY_FILE} &`,
    `i=0; while [ ! -e ${READY_FILE} ]; do i=$((i+1)); if [ $i -gt 1000 ]; then echo "asm sandbox: network bridge did not start" >&2; exit 125; fi; sleep 0.01; done`,
    `exec "$@"`,
  ].join("\n");
  return {
    runtimeDir,
    env: {
      HTTP_PROXY: url,
      HTTPS_PROXY: url,
      http_proxy: url,
      https_proxy: url,
      NO_PROXY: "localhost,127.0.0.1",
      no_proxy: "localhost,127.0.0.1",
    },
    entry: ["/bin/sh", "-c", script, "asm-entry"],
    close: async () => {
      await proxy.close();
      await rm(runtimeDir, { recursive: true, force: true });
    },
  };
}
