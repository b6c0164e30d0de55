import { parseApiKeys } from "./config";
import { createRedactor, RedactionConfigSchema, type RedactionConfig, type Redactor } from "./redact";

/** Bindings whose value is a secret by name: ANTHROPIC_API_KEY, SANDBOX_TOKEN, WEBHOOK_SECRET, DB_PASSWORD, … */
const SECRET_BINDING_NAME = /(?:^|_)(?:KEYS?|TOKEN|SECRETS?|PASSWORD|PWD)$/;

/**
 * The exact values of the service's own configured secrets: every key in API_KEYS (not the tenant names) and
 * every string binding named like a secret. A run that prints one of them cannot store it.
 */
export function serviceSecrets(vars: Record<string, unknown>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (typeof value !== "string" || value === "") continue;
    if (name === "API_KEYS") secrets.push(...parseApiKeys(value).keys());
    else if (SECRET_BINDING_NAME.test(name)) secrets.push(value);
  }
  return secrets;
}

/** REDACTION (JSON) over the defaults; a malformed value keeps the defaults (redaction stays on). */
export function parseRedactionConfig(raw: unknown): RedactionConfig {
  let value: unknown = {};
  if (typeof raw === "string" && raw !== "") {
    try {
      value = JSON.parse(raw);
    } catch {
      value = {};
    }
  }
  const parsed = RedactionConfigSchema.safeParse(value);
  return parsed.success ? parsed.data : RedactionConfigSchema.parse({});
}

const cache = new WeakMap<object, Redactor>();

/** The redactor for this deployment's configuration, built once per bindings object. */
export function redactorFromEnv(vars: Record<string, unknown>): Redactor {
  let redactor = cache.get(vars);
  if (!redactor) {
    redactor = createRedactor(parseRedactionConfig(vars.REDACTION), serviceSecrets(vars));
    cache.set(vars, redactor);
  }
  return redactor;
}
