import { describe, expect, it } from "vitest";
import { redactEvent, redactText, RedactionConfigSchema } from "../../src/core/redact";

const config = RedactionConfigSchema.parse({});
const r = (text: string) => redactText(text, config);

describe("redaction", () => {
  it.each([
    ["aws access key", "key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"],
    ["aws secret", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
    ["anthropic key", "use sk-ant-api03-abcdefghijklmnopqrstuvwx now", "sk-ant-api03-abcdefghijklmnopqrstuvwx"],
    ["openai project key", "OPENAI=sk-proj-AbCdEfGhIjKlMnOpQrStUvWx12", "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx12"],
    ["openai legacy key", "sk-" + "a1B2".repeat(12), "sk-" + "a1B2".repeat(12)],
    ["github token", "token ghp_" + "x".repeat(36), "ghp_" + "x".repeat(36)],
    ["jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "eyJhbGciOiJIUzI1NiJ9"],
    ["bearer", "Authorization: Bearer abcdefghijklmnopqrstuvwxyz123456", "abcdefghijklmnopqrstuvwxyz123456"],
    ["url password", "postgres://app:s3cretPassw0rd@db.internal:5432/app", "s3cretPassw0rd"],
    ["pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA"],
    ["assignment", "export STRIPE_SECRET=rk_live_1234567890abc", "rk_live_1234567890abc"],
    ["password assignment", "PASSWORD=hunter22hunter", "hunter22hunter"],
  ])("redacts %s", (_name, text, secret) => {
    const out = r(text);
    expect(out.text).not.toContain(secret);
    expect(out.text).toContain("[REDACTED]");
    expect(out.count).toBeGreaterThanOrEqual(1);
  });

  it("keeps what only looks like a secret", () => {
    for (const text of [
      "sk-short", "the password policy requires 12 characters", "commit 3f786850e387550fdab836ed7e6dc881de23001b",
      "id 123e4567-e89b-12d3-a456-426614174000", "Bearer", "https://example.com/path?q=1", "TOKEN_COUNT: 5",
    ]) expect(r(text), text).toEqual({ text, count: 0 });
  });

  it("replaces only the secret part and keeps the rest readable", () => {
    expect(r("postgres://app:s3cretPassw0rd@db:5432/x").text).toBe("postgres://app:[REDACTED]@db:5432/x");
    expect(r("export API_KEY=abcdef123456").text).toBe("export API_KEY=[REDACTED]");
  });

  it("scans nested data including provider_error.stderr, skips lifecycle types, and scans metadata only when asked", () => {
    const key = "sk-ant-api03-" + "Z".repeat(30);
    const event = { type: "run_failed", data: { provider_error: { stderr: `401 for ${key}`, nested: [{ deep: key }] } }, metadata: { note: key } };
    const out = redactEvent(event, config);
    expect(JSON.stringify(out.data)).not.toContain(key);
    expect(out.count).toBe(2);
    expect(out.metadata.note).toBe(key);
    const withMeta = redactEvent(event, RedactionConfigSchema.parse({ scan_metadata: true }));
    expect(withMeta.count).toBe(3);
    expect(redactEvent({ ...event, type: "token_usage_updated" }, config).count).toBe(0);
  });

  it("supports categorized replacement, custom patterns, replacing the defaults, and turning it off", () => {
    const categorized = RedactionConfigSchema.parse({ replacement: "categorized" });
    expect(redactText("AKIAIOSFODNN7EXAMPLE", categorized).text).toBe("[REDACTED:aws_access_key]");
    const custom = RedactionConfigSchema.parse({ patterns: [{ name: "ticket", regex: "TKT-\\d{6}" }] });
    expect(redactText("see TKT-123456 and AKIAIOSFODNN7EXAMPLE", custom).count).toBe(2);
    const only = RedactionConfigSchema.parse({ patterns: { replace: [{ name: "ticket", regex: "TKT-\\d{6}" }] } });
    expect(redactText("TKT-123456 AKIAIOSFODNN7EXAMPLE", only).text).toBe("[REDACTED] AKIAIOSFODNN7EXAMPLE");
    expect(redactText("AKIAIOSFODNN7EXAMPLE", RedactionConfigSchema.parse({ enabled: false })).count).toBe(0);
  });
});
