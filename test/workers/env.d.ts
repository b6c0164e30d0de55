import type { D1Migration } from "cloudflare:test";
import type { Env as AppEnv } from "../../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends AppEnv {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
declare module "vitest" {
  interface ProvidedContext {
    sandboxUrl: string;
    sandboxToken: string;
    sandboxRoot: string;
    anthropicUrl: string;
    openaiUrl: string;
    fakeCliBin: string;
    sandboxDirectUrl: string;
    webhookSinkUrl: string;
    hostProbeUrl: string;
    hostProbePort: number;
    sandboxServerPid: number;
    projectRoot: string;
    hostHome: string;
  }
}
