import { AppError } from "../core/errors";
import type { Config } from "../core/config";
import type { ProviderAdapter } from "./types";
import { ShellAdapter } from "./shell";
import { AnthropicAdapter } from "./anthropic";
import { OpenAIAdapter } from "./openai";
import { cliDefaultsFrom, createCliAdapter } from "./cli";

export type AdapterFactoryDeps = { env: Record<string, unknown>; config: Config };

/** Provider name → adapter. One place that knows every adapter; the router composes the others. */
const FACTORIES: Record<string, (deps: AdapterFactoryDeps) => ProviderAdapter> = {
  shell: ({ config }) =>
    new ShellAdapter({
      timeoutMs: config.shellTimeoutMs,
      maxOutputBytes: config.sandboxMaxOutputBytes,
      previewChars: Math.floor(config.maxEventDataBytes / 4),
    }),
};

FACTORIES.anthropic = () => new AnthropicAdapter();
FACTORIES.openai = () => new OpenAIAdapter();

for (const name of ["claude-code", "codex", "amp"] as const) {
  FACTORIES[name] = ({ config }) => createCliAdapter(name, cliDefaultsFrom(config));
}

export function registerAdapter(name: string, factory: (deps: AdapterFactoryDeps) => ProviderAdapter): void {
  FACTORIES[name] = factory;
}

export function providerNames(): string[] {
  return Object.keys(FACTORIES);
}

export function createAdapter(name: string, deps: AdapterFactoryDeps): ProviderAdapter {
  const factory = FACTORIES[name];
  if (!factory)
    throw new AppError("capability_not_found", `Provider '${name}' is not available`, { provider: name, available: providerNames() });
  return factory(deps);
}
