import { mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startSandboxServer } from "../sandbox/server";
import { startWebhookSink } from "./support/webhook-sink";
import { startHostProbe } from "./support/host-probe";
import { startFaultProxy } from "./support/fault-proxy";
import { startFakeAnthropic } from "./fakes/anthropic-server";
import { startFakeOpenAI } from "./fakes/openai-server";

/** Starts the real sandbox server on a free loopback port and hands its address to the Worker under test. */
export default async function setup(project: TestProject) {
  const root = mkdtempSync(join(tmpdir(), "asm-sandbox-"));
  const token = `test-sandbox-${Math.random().toString(36).slice(2)}`;
  // Runs are jailed exactly as in production; the fake CLIs are the one host folder they may read.
  const fakeCliDir = join(process.cwd(), "test", "fakes", "cli");
  const sandbox = await startSandboxServer({
    port: 0,
    host: "127.0.0.1",
    token,
    root,
    isolation: "bubblewrap",
    readOnlyPaths: [fakeCliDir],
  });
  // The Worker reaches the sandbox through a proxy that reliability tests can make fail for their own session.
  const proxy = await startFaultProxy(sandbox.url);
  project.provide("sandboxUrl", proxy.url);
  project.provide("sandboxDirectUrl", sandbox.url);
  project.provide("sandboxToken", token);
  project.provide("sandboxRoot", root);
  // Fake coding-agent CLIs (they replay recorded streams of the real formats) for runs that put them on PATH.
  project.provide("fakeCliBin", join(fakeCliDir, "bin"));
  const anthropic = await startFakeAnthropic();
  project.provide("anthropicUrl", anthropic.url);
  const openai = await startFakeOpenAI();
  project.provide("openaiUrl", openai.url);
  // What the isolation tests check on the host (and the "outside world" runs must not reach).
  const probe = await startHostProbe();
  project.provide("hostProbeUrl", probe.url);
  project.provide("hostProbePort", probe.port);
  project.provide("sandboxServerPid", process.pid);
  project.provide("projectRoot", process.cwd());
  project.provide("hostHome", homedir());
  const sink = await startWebhookSink();
  project.provide("webhookSinkUrl", sink.url);
  return async () => {
    await sink.close();
    await probe.close();
    await anthropic.close();
    await openai.close();
    await proxy.close();
    await sandbox.close();
    rmSync(root, { recursive: true, force: true });
  };
}
