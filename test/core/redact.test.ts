import { describe, expect, it } from "vitest";
import { createRedactor, isSecretFieldName, redactText, RedactionConfigSchema } from "../../src/core/redact";
import { parseRedactionConfig, redactorFromEnv, serviceSecrets } from "../../src/core/redact-env";

const config = RedactionConfigSchema.parse({});
const r = (text: string) => redactText(text, config);
const redactor = createRedactor(config);

/** `{a: {a: … {leaf} …}}`, built without recursion. */
function nested(depth: number, leaf: unknown, asArray = false): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
}

function innermost(value: unknown, depth: number, asArray = false): unknown {
  let node = value;
  for (let i = 0; i < depth; i++) node = asArray ? (node as unknown[])[0] : (node as { a: unknown }).a;
  return node;
}

describe("redaction patterns", () => {
  it.each([
    ["aws access key", "key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"],
    ["aws secret", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
    ["anthropic key", "use sk-ant-api03-abcdefghijklmnopqrstuvwx now", "sk-ant-api03-abcdefghijklmnopqrstuvwx"],
    ["openai project key", "OPENAI=sk-proj-AbCdEfGhIjKlMnOpQrStUvWx12", "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx12"],
    ["openai legacy key", `sk-${"a1B2".repeat(12)}`, `sk-${"a1B2".repeat(12)}`],
    ["github token", `token ghp_${"x".repeat(36)}`, `ghp_${"x".repeat(36)}`],
    ["jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "eyJhbGciOiJIUzI1NiJ9"],
    ["bearer", "Authorization: Bearer abcdefghijklmnopqrstuvwxyz123456", "abcdefghijklmnopqrstuvwxyz123456"],
    ["url password", "postgres://app:s3cretPassw0rd@db.internal:5432/app", "s3cretPassw0rd"],
    ["pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA"],
    ["_SECRET assignment", "export STRIPE_SECRET=rk_live_1234567890abc", "rk_live_1234567890abc"],
    ["_KEY assignment", "DEPLOY_KEY=zq81xkw0pl", "zq81xkw0pl"],
    ["_KEYS assignment", "API_KEYS=k3yOne9912=tenant_a", "k3yOne9912=tenant_a"],
    ["_SECRETS assignment", "CLIENT_SECRETS: q0w9e8r7t6", "q0w9e8r7t6"],
    ["_TOKEN assignment", "SLACK_TOKEN='xo99-plain-value'", "xo99-plain-value"],
    ["PASSWORD assignment", "PASSWORD=hunter22hunter", "hunter22hunter"],
    ["lower-case password assignment", "db password: Tr0ub4dor&3", "Tr0ub4dor&3"],
    ["JSON text assignment", '{"api_key": "abc123def456ghi"}', "abc123def456ghi"],
  ])("redacts %s", (_name, text, secret) => {
    const out = r(text);
    expect(out.text).not.toContain(secret);
    expect(out.text).toContain("[REDACTED]");
    expect(out.count).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ["sk- in prose, too short to be a key", "keys start with sk- and sk-short is not one"],
    ["the word password alone", "the password policy requires 12 characters"],
    ["password as a word in a sentence", "Forgot your password? Reset it from the login page."],
    ["a git sha", "commit 3f786850e387550fdab836ed7e6dc881de23001b"],
    ["a UUID", "id 123e4567-e89b-12d3-a456-426614174000"],
    ["Bearer alone", "Bearer"],
    ["a URL without credentials", "https://example.com/path?q=1"],
    ["a token count", "TOKEN_COUNT: 5"],
    ["max_tokens settings", "max_tokens: 100000, input_tokens: 123456"],
    ["a session id", "ses_0123456789abcdef0123456789abcdef"],
    ["an assignment already redacted", "export API_KEY=[REDACTED]"],
  ])("keeps %s", (_name, text) => {
    expect(r(text)).toEqual({ text, count: 0 });
  });

  it("replaces only the secret part and keeps the rest readable", () => {
    expect(r("postgres://app:s3cretPassw0rd@db:5432/x").text).toBe("postgres://app:[REDACTED]@db:5432/x");
    expect(r("export API_KEY=abcdef123456").text).toBe("export API_KEY=[REDACTED]");
  });

  it("supports categorized replacement, custom patterns, replacing the defaults, and turning the patterns off", () => {
    const categorized = RedactionConfigSchema.parse({ replacement: "categorized" });
    expect(redactText("AKIAIOSFODNN7EXAMPLE", categorized).text).toBe("[REDACTED:aws_access_key]");
    const custom = RedactionConfigSchema.parse({ patterns: [{ name: "ticket", regex: "TKT-\\d{6}" }] });
    expect(redactText("see TKT-123456 and AKIAIOSFODNN7EXAMPLE", custom).count).toBe(2);
    const only = RedactionConfigSchema.parse({ patterns: { replace: [{ name: "ticket", regex: "TKT-\\d{6}" }] } });
    expect(redactText("TKT-123456 AKIAIOSFODNN7EXAMPLE", only).text).toBe("[REDACTED] AKIAIOSFODNN7EXAMPLE");
    expect(redactText("AKIAIOSFODNN7EXAMPLE", RedactionConfigSchema.parse({ enabled: false })).count).toBe(0);
  });
});

describe("redacting values", () => {
  it("covers every field at every level, keys included, whatever the event type", () => {
    const key = `sk-ant-api03-${"Z".repeat(30)}`;
    for (const type of ["run_failed", "token_usage_updated", "error_recovered", "workspace_diff_computed", "session_created"]) {
      const event = {
        type,
        data: { provider_error: { stderr: `401 for ${key}`, nested: [{ deep: key }] } },
        metadata: { unmapped_lines: [{ raw: key }], [key]: 1 },
      };
      const out = redactor.value(event);
      expect(JSON.stringify(out.value), type).not.toContain(key);
      expect(out.count).toBe(4);
      expect(out.value.type).toBe(type);
    }
  });

  it("redacts a secret 10,000 levels deep in objects and in arrays, without recursion", () => {
    const key = `ghp_${"q".repeat(36)}`;
    for (const asArray of [false, true]) {
      const out = redactor.value(nested(10_000, { note: `token ${key}` }, asArray));
      expect(innermost(out.value, 10_000, asArray)).toEqual({ note: "token [REDACTED]" });
      expect(out.count).toBe(1);
    }
  });

  it("returns the very same value when nothing needs redacting", () => {
    const clean = { a: [1, "two", { three: null }], b: "commit 3f786850e387550fdab836ed7e6dc881de23001b" };
    const out = redactor.value(clean);
    expect(out.value).toBe(clean);
    expect(out.count).toBe(0);
  });

  it("does not modify its input, and ends on shared and cyclic references", () => {
    const key = "AKIAIOSFODNN7EXAMPLE";
    const shared = { k: key };
    const input: Record<string, unknown> = { x: shared, y: shared };
    input.self = input;
    const out = redactor.value(input).value as Record<string, unknown>;
    expect(shared.k).toBe(key);
    expect((out.x as { k: string }).k).toBe("[REDACTED]");
    expect(out.y).toBe(out.x);
    expect(out.self).toBe(out);
  });

  it("keeps __proto__ an ordinary key", () => {
    const input = JSON.parse('{"__proto__": {"polluted": "AKIAIOSFODNN7EXAMPLE"}}') as Record<string, unknown>;
    const out = redactor.value(input).value;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":"[REDACTED]"}}');
  });

  it("redacts any string under a secret-named field, whatever it looks like, and leaves look-alike names", () => {
    const out = redactor.value({
      env: { DEPLOY_TOKEN: "x1", DB_PASSWORD: "hunter2", API_KEYS: "a=b", PATH: "/usr/bin" },
      password: "pw",
      client_secret: "cs-1",
      idempotency_key: "retry-42-abc",
      max_tokens: 100000,
      token_usage: { total: 3 },
      cache_key: "user:17:profile",
      sort_key: "created_at",
    });
    expect(out.value).toEqual({
      env: { DEPLOY_TOKEN: "[REDACTED]", DB_PASSWORD: "[REDACTED]", API_KEYS: "[REDACTED]", PATH: "/usr/bin" },
      password: "[REDACTED]",
      client_secret: "[REDACTED]",
      idempotency_key: "retry-42-abc",
      max_tokens: 100000,
      token_usage: { total: 3 },
      cache_key: "user:17:profile",
      sort_key: "created_at",
    });
    expect(out.count).toBe(5);
    expect(redactor.value(out.value).count).toBe(0);
    for (const name of ["OPENAI_API_KEY", "SANDBOX_TOKEN", "password", "apiKey", "Authorization"])
      expect(isSecretFieldName(name), name).toBe(true);
    for (const name of ["idempotency_key", "max_tokens", "TOKEN_COUNT", "keys", "token", "primary"])
      expect(isSecretFieldName(name), name).toBe(false);
  });
});

describe("the service's own secrets", () => {
  const env = {
    API_KEYS: "live_key_alpha_123=tenant_a,live_key_beta_456=tenant_b",
    SANDBOX_TOKEN: "sbx-tok-0f1e2d3c4b5a",
    ANTHROPIC_API_KEY: "plain-anthropic-value",
    OPENAI_API_KEY: "plain-openai-value",
    WEBHOOK_SIGNING_SECRET: "whsec-plain-value",
    SANDBOX_URL: "http://127.0.0.1:8788",
    MAX_BODY_BYTES: "1048576",
    SHORT_TOKEN: "abc",
  };

  it("are found from API_KEYS (keys, not tenants) and every binding named like a secret", () => {
    expect(serviceSecrets(env).sort()).toEqual(
      [
        "abc",
        "live_key_alpha_123",
        "live_key_beta_456",
        "plain-anthropic-value",
        "plain-openai-value",
        "sbx-tok-0f1e2d3c4b5a",
        "whsec-plain-value",
      ].sort(),
    );
  });

  it("are replaced anywhere, even inside other text and with the patterns turned off; short ones are left alone", () => {
    const text = "key=live_key_alpha_123;tok:sbx-tok-0f1e2d3c4b5a/x-plain-openai-value-y whsec-plain-value abc tenant_a";
    const expected = "key=[REDACTED];tok:[REDACTED]/x-[REDACTED]-y [REDACTED] abc tenant_a";
    expect(redactorFromEnv({ ...env }).text(text).value).toBe(expected);
    const off = redactorFromEnv({ ...env, REDACTION: JSON.stringify({ enabled: false }) });
    expect(off.text(text).value).toBe(expected);
    expect(off.text("AKIAIOSFODNN7EXAMPLE").value).toBe("AKIAIOSFODNN7EXAMPLE");
    const categorized = redactorFromEnv({ ...env, REDACTION: JSON.stringify({ replacement: "categorized" }) });
    expect(categorized.text("plain-anthropic-value").value).toBe("[REDACTED:service_secret]");
  });

  it("a malformed REDACTION keeps the defaults on", () => {
    expect(parseRedactionConfig("{nope")).toEqual(RedactionConfigSchema.parse({}));
    expect(parseRedactionConfig(JSON.stringify({ enabled: "yes" })).enabled).toBe(true);
  });
});
