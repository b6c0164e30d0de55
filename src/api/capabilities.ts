import { AppError } from "../core/errors";
import type { Config } from "../core/config";
import type { CapabilityRequirement } from "../core/routing/policy";
import { meetsRequirements } from "../core/routing/order";
import { createAdapter, providerNames } from "../providers/registry";

/**
 * `required_capabilities` on a submission: checked before anything is stored, for every
 * provider. A named provider must offer each one; the router needs at least one adapter that offers them all
 * (it then routes only among those).
 */
export function assertRequiredCapabilities(
  provider: string,
  required: readonly CapabilityRequirement[] | undefined,
  deps: { env: Record<string, unknown>; config: Config },
): void {
  if (!required || required.length === 0) return;
  const candidates = provider === "router" ? providerNames().filter((n) => n !== "router") : [provider];
  const capable = candidates.filter((name) => meetsRequirements(createAdapter(name, deps).capabilities.capabilities, required));
  if (capable.length > 0) return;
  const offered = provider === "router" ? null : createAdapter(provider, deps).capabilities.capabilities;
  const missing = offered ? required.filter((req) => !meetsRequirements(offered, [req])) : [...required];
  throw new AppError(
    "missing_required_capability",
    provider === "router"
      ? "No provider the router can use offers every required capability"
      : `Provider '${provider}' lacks a required capability: ${missing.map((m) => (m.name ? `${m.type}:${m.name}` : m.type)).join(", ")}`,
    { provider, missing },
  );
}
