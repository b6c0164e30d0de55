import { z } from "zod";

/**
 * Secret redaction, on by default (the original was opt-in). Applied to an event before it is written or
 * broadcast; only the matched secret is replaced, so the surrounding text stays readable.
 */
const PatternSchema = z.object({ name: z.string().min(1), regex: z.string().min(1), flags: z.string().optional(), group: z.number().int().min(0).optional() });
export type RedactionPattern = z.infer<typeof PatternSchema>;

export const RedactionConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** Replacement text; "categorized" writes "[REDACTED:<category>]". */
  replacement: z.string().default("[REDACTED]"),
  scan_metadata: z.boolean().default(false),
  patterns: z.union([z.literal("default"), z.array(PatternSchema), z.object({ replace: z.array(PatternSchema) })]).default("default"),
});
export type RedactionConfig = z.infer<typeof RedactionConfigSchema>;

/** Built-in patterns. `group` names the capture group holding the secret (0 = the whole match). */
export const DEFAULT_PATTERNS: RedactionPattern[] = [
  { name: "private_key", regex: "-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----" },
  { name: "aws_access_key", regex: "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b" },
  { name: "aws_secret_key", regex: "aws_secret_access_key\\s*[:=]\\s*[\"']?([A-Za-z0-9/+=]{40})", flags: "i", group: 1 },
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
    name: "secret_assignment",
    regex: "\\b([A-Za-z0-9_]*(?:_KEY|_TOKEN|_SECRET|PASSWORD|PASSWD|_PWD|API_KEY|APIKEY|ACCESS_TOKEN|AUTH_TOKEN|SECRET_KEY|DATABASE_URL|REDIS_URL|SECRET_KEY_BASE|ENCRYPTION_KEY|PRIVATE_KEY))\\s*[:=]\\s*[\"']?([^\\s\"',;]{6,})",
    flags: "i", group: 2,
  },
];

/** Types the original never redacted: lifecycle, usage and workspace events carry no free text. */
const NEVER_REDACTED = new Set([
  "session_created", "session_started", "session_paused", "session_resumed", "session_completed", "session_cancelled",
  "run_queued", "run_started", "run_cancelled", "run_timeout", "token_usage_updated", "turn_completed",
  "workspace_snapshot_taken", "workspace_diff_computed", "error_recovered",
]);

type Compiled = { name: string; re: RegExp; group: number };
type CompiledSet = { patterns: Compiled[]; any: RegExp };
const cache = new WeakMap<RedactionConfig, CompiledSet>();

function compile(config: RedactionConfig): CompiledSet {
  const hit = cache.get(config);
  if (hit) return hit;
  const list = config.patterns === "default" ? DEFAULT_PATTERNS
    : Array.isArray(config.patterns) ? [...DEFAULT_PATTERNS, ...config.patterns] : config.patterns.replace;
  const compiled = list.map((p) => {
    const flags = new Set([...(p.flags ?? ""), "g"]);
    if (p.group) flags.add("d");
    return { name: p.name, re: new RegExp(p.regex, [...flags].join("")), group: p.group ?? 0 };
  });
  // One case-insensitive union as a prefilter: most strings hold no secret and are cleared by a single test.
  const set = { patterns: compiled, any: new RegExp(list.map((p) => `(?:${p.regex})`).join("|"), "i") };
  cache.set(config, set);
  return set;
}

/** Redacts secrets in one string; returns the new text and how many were replaced. */
export function redactText(text: string, config: RedactionConfig): { text: string; count: number } {
  if (!config.enabled || text.length < 6) return { text, count: 0 };
  const compiled = compile(config);
  if (!compiled.any.test(text)) return { text, count: 0 };
  let count = 0;
  let out = text;
  for (const p of compiled.patterns) {
    p.re.lastIndex = 0;
    if (!p.re.test(out)) continue;
    p.re.lastIndex = 0;
    const label = config.replacement === "categorized" ? `[REDACTED:${p.name}]` : config.replacement;
    let result = "";
    let last = 0;
    for (const m of out.matchAll(p.re)) {
      const span = p.group ? m.indices?.[p.group] : undefined;
      const start = span ? span[0] : m.index ?? 0;
      const end = span ? span[1] : start + m[0].length;
      if (start < last) continue;
      result += out.slice(last, start) + label;
      last = end;
      count++;
    }
    out = result + out.slice(last);
  }
  return { text: out, count };
}

function redactValue(value: unknown, config: RedactionConfig, depth: number, counter: { n: number }): unknown {
  if (typeof value === "string") {
    const r = redactText(value, config);
    counter.n += r.count;
    return r.text;
  }
  if (depth >= 10 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, config, depth + 1, counter));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, config, depth + 1, counter)]));
}

/** Deep-redacts an event's data (and metadata when configured); `count` is recorded by the caller. */
export function redactEvent<T extends { type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }>(
  event: T, config: RedactionConfig,
): { data: Record<string, unknown>; metadata: Record<string, unknown>; count: number } {
  if (!config.enabled || NEVER_REDACTED.has(event.type)) return { data: event.data, metadata: event.metadata, count: 0 };
  const counter = { n: 0 };
  const data = redactValue(event.data, config, 0, counter) as Record<string, unknown>;
  const metadata = config.scan_metadata ? (redactValue(event.metadata, config, 0, counter) as Record<string, unknown>) : event.metadata;
  return { data, metadata, count: counter.n };
}
