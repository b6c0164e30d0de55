import { z } from "zod";

/**
 * Secret redaction, on by default (the original was opt-in). One redactor covers every surface where data is
 * stored or leaves (events, run records, session fields, patches, query results); only the matched secret is
 * replaced, so the surrounding text stays readable.
 */
const PatternSchema = z.object({
  name: z.string().min(1),
  regex: z.string().min(1),
  flags: z.string().optional(),
  group: z.number().int().min(0).optional(),
});
export type RedactionPattern = z.infer<typeof PatternSchema>;

export const RedactionConfigSchema = z.object({
  /** Turns the patterns off; the service's own configured secrets are replaced regardless. */
  enabled: z.boolean().default(true),
  /** Replacement text; "categorized" writes "[REDACTED:<category>]". */
  replacement: z.string().default("[REDACTED]"),
  patterns: z.union([z.literal("default"), z.array(PatternSchema), z.object({ replace: z.array(PatternSchema) })]).default("default"),
});
export type RedactionConfig = z.infer<typeof RedactionConfigSchema>;

/** Built-in patterns. `group` names the capture group holding the secret (0 = the whole match). */
export const DEFAULT_PATTERNS: RedactionPattern[] = [
  { name: "private_key", regex: "-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----" },
  { name: "aws_access_key", regex: "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b" },
  { name: "aws_secret_key", regex: "aws_secret_access_key[\"']?\\s*[:=]\\s*[\"']?([A-Za-z0-9/+=]{40})", flags: "i", group: 1 },
  { name: "gcp_api_key", regex: "\\bAIza[0-9A-Za-z_-]{35}\\b" },
  { name: "anthropic_key", regex: "\\bsk-ant-[A-Za-z0-9_-]{20,}" },
  { name: "openai_key", regex: "\\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}" },
  { name: "openai_legacy_key", regex: "\\bsk-[A-Za-z0-9]{40,}\\b" },
  { name: "github_token", regex: "\\bgh[pousr]_[A-Za-z0-9]{36,}\\b" },
  { name: "github_fine_pat", regex: "\\bgithub_pat_[A-Za-z0-9_]{50,}\\b" },
  { name: "gitlab_token", regex: "\\bglpat-[A-Za-z0-9_-]{20,}\\b" },
  { name: "jwt_token", regex: "\\beyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}" },
  { name: "bearer_token", regex: "\\bBearer\\s+([A-Za-z0-9._~+/=-]{20,})", group: 1 },
  { name: "url_password", regex: "\\b[a-z][a-z0-9+.-]*://[^\\s:/@]+:([^\\s@/]+)@", flags: "i", group: 1 },
  {
    // NAME=value, NAME: value, "NAME": "value". Plural _KEYS/_SECRETS count (API_KEYS=…); _TOKENS does not
    // (max_tokens: 100000 is a setting, not a secret).
    name: "secret_assignment",
    regex:
      "\\b([A-Za-z0-9_]*(?:_KEYS?|_TOKEN|_SECRETS?|PASSWORDS?|PASSWD|_PWD|APIKEYS?|ACCESS_TOKEN|AUTH_TOKEN|DATABASE_URL|REDIS_URL|PRIVATE_KEY))[\"']?\\s*[:=]\\s*[\"']?(?!\\[REDACTED)([^\\s\"',;]{6,})",
    flags: "i",
    group: 2,
  },
];

/**
 * Field names whose string value is a secret whatever it looks like (`env: {DEPLOY_TOKEN: "x"}`,
 * `{password: "…"}`): environment-style UPPER_SNAKE names ending in a secret word, and a few unambiguous
 * lower-case names. Names such as `idempotency_key` or `max_tokens` are deliberately not matched.
 */
const SECRET_ENV_NAME = /^[A-Z0-9_]*(?:_KEYS?|_TOKEN|_SECRETS?|PASSWORD|_PASSWD|_PWD|^SECRET|^TOKEN)$/;
const SECRET_FIELD_NAME =
  /^(?:password|passwd|secret|client_secret|api_?key|access_token|refresh_token|auth_token|private_key|secret_key|authorization)$/i;

export function isSecretFieldName(name: string): boolean {
  return SECRET_ENV_NAME.test(name) || SECRET_FIELD_NAME.test(name);
}

/** Exact values shorter than this are not replaced: they would match ordinary text. */
export const MIN_EXACT_SECRET_LENGTH = 8;

export type Redacted<T> = { value: T; count: number };

/** Redacts strings and whole JSON-like values. Built once per config and secret list (the regexes compile once). */
export interface Redactor {
  text(value: string): Redacted<string>;
  /** Deep copy with every string (values and keys) redacted; the input itself when nothing needed it. */
  value<T>(value: T): Redacted<T>;
}

type Compiled = { name: string; re: RegExp; group: number };

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compilePatterns(config: RedactionConfig, secrets: readonly string[]): { patterns: Compiled[]; any: RegExp | null } {
  const list = !config.enabled
    ? []
    : config.patterns === "default"
      ? DEFAULT_PATTERNS
      : Array.isArray(config.patterns)
        ? [...DEFAULT_PATTERNS, ...config.patterns]
        : config.patterns.replace;
  const exact = [...new Set(secrets.filter((s) => s.length >= MIN_EXACT_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  // The service's own secrets go first so they carry their own label even when a pattern would also match.
  const all: RedactionPattern[] = exact.length > 0 ? [{ name: "service_secret", regex: exact.map(escapeRegex).join("|") }, ...list] : list;
  const patterns = all.map((p) => {
    const flags = new Set([...(p.flags ?? ""), "g"]);
    if (p.group) flags.add("d");
    return { name: p.name, re: new RegExp(p.regex, [...flags].join("")), group: p.group ?? 0 };
  });
  // One case-insensitive union as a prefilter: most strings hold no secret and are cleared by a single test.
  const any = all.length > 0 ? new RegExp(all.map((p) => `(?:${p.regex})`).join("|"), "i") : null;
  return { patterns, any };
}

export function createRedactor(config: RedactionConfig, secrets: readonly string[] = []): Redactor {
  const { patterns, any } = compilePatterns(config, secrets);
  const labelFor = (name: string) => (config.replacement === "categorized" ? `[REDACTED:${name}]` : config.replacement);
  const fieldLabel = labelFor("secret_field");
  const minLength = Math.min(6, MIN_EXACT_SECRET_LENGTH);

  const mayHoldSecret = (text: string) => any !== null && text.length >= minLength && any.test(text);
  const secretField = (key: string, value: unknown): value is string =>
    config.enabled && typeof value === "string" && value !== "" && value !== fieldLabel && isSecretFieldName(key);

  function text(input: string): Redacted<string> {
    if (!mayHoldSecret(input)) return { value: input, count: 0 };
    let count = 0;
    let out = input;
    for (const p of patterns) {
      p.re.lastIndex = 0;
      if (!p.re.test(out)) continue;
      p.re.lastIndex = 0;
      const label = labelFor(p.name);
      let result = "";
      let last = 0;
      for (const m of out.matchAll(p.re)) {
        const span = p.group ? m.indices?.[p.group] : undefined;
        const start = span ? span[0] : (m.index ?? 0);
        const end = span ? span[1] : start + m[0].length;
        if (start < last || end === start) continue;
        result += out.slice(last, start) + label;
        last = end;
        count++;
      }
      out = result + out.slice(last);
    }
    return { value: out, count };
  }

  /** Cheap first pass: does anything under `root` need rewriting? Iterative, so no depth can blow the stack. */
  function needsRewrite(root: unknown): boolean {
    const seen = new Set<object>();
    const stack: unknown[] = [root];
    while (stack.length > 0) {
      const node = stack.pop();
      if (typeof node === "string") {
        if (mayHoldSecret(node)) return true;
        continue;
      }
      if (!isContainer(node) || seen.has(node)) continue;
      seen.add(node);
      if (Array.isArray(node)) {
        for (const child of node) stack.push(child);
        continue;
      }
      for (const [key, child] of Object.entries(node)) {
        if (mayHoldSecret(key) || secretField(key, child)) return true;
        stack.push(child);
      }
    }
    return false;
  }

  /** Second pass: an iterative deep copy with strings redacted; shared sub-objects stay shared (and cycles end). */
  function rewrite(root: unknown): Redacted<unknown> {
    let count = 0;
    const copies = new Map<object, unknown[] | Record<string, unknown>>();
    const pending: { from: unknown[] | Record<string, unknown>; to: unknown[] | Record<string, unknown> }[] = [];
    const redactString = (s: string) => {
      const r = text(s);
      count += r.count;
      return r.value;
    };
    const copyOf = (node: unknown): unknown => {
      if (typeof node === "string") return redactString(node);
      if (!isContainer(node)) return node;
      const known = copies.get(node);
      if (known) return known;
      const to: unknown[] | Record<string, unknown> = Array.isArray(node) ? new Array<unknown>(node.length) : {};
      copies.set(node, to);
      pending.push({ from: node, to });
      return to;
    };
    const result = copyOf(root);
    while (pending.length > 0) {
      const { from, to } = pending.pop()!;
      if (Array.isArray(from)) {
        for (let i = 0; i < from.length; i++) (to as unknown[])[i] = copyOf(from[i]);
        continue;
      }
      for (const [key, child] of Object.entries(from)) {
        let value: unknown;
        if (secretField(key, child)) {
          value = fieldLabel;
          count++;
        } else {
          value = copyOf(child);
        }
        // defineProperty keeps a "__proto__" key an ordinary property, as JSON.parse made it.
        Object.defineProperty(to, redactString(key), { value, enumerable: true, writable: true, configurable: true });
      }
    }
    return { value: result, count };
  }

  return {
    text,
    value<T>(input: T): Redacted<T> {
      if (!needsRewrite(input)) return { value: input, count: 0 };
      return rewrite(input) as Redacted<T>;
    },
  };
}

function isContainer(value: unknown): value is unknown[] | Record<string, unknown> {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const byConfig = new WeakMap<RedactionConfig, Redactor>();

/** Redacts one string with the patterns only (no service secrets); for callers holding just a config. */
export function redactText(text: string, config: RedactionConfig): { text: string; count: number } {
  let redactor = byConfig.get(config);
  if (!redactor) byConfig.set(config, (redactor = createRedactor(config)));
  const r = redactor.text(text);
  return { text: r.value, count: r.count };
}
