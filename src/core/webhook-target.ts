import ipaddr from "ipaddr.js";
import { z } from "zod";

/**
 * Egress rules for webhook targets: a webhook must never be a way to make the service call inward (loopback,
 * private networks, cloud metadata). Checked at creation and again before every delivery.
 *
 * Only literal addresses and names can be judged here: a Worker has no DNS API, so a public name that resolves
 * to a private address is not caught (Cloudflare's fetch from a deployed Worker cannot reach private networks).
 */
export const TargetRefusalSchema = z.enum([
  "invalid_url",
  "scheme",
  "insecure_scheme",
  "credentials",
  "loopback",
  "private",
  "link_local",
  "carrier_grade_nat",
  "unspecified",
  "multicast",
  "broadcast",
  "reserved",
  "metadata_host",
  "internal_host",
]);
export type TargetRefusal = z.infer<typeof TargetRefusalSchema>;

/** `allowLoopback` is a development setting (WEBHOOK_ALLOW_LOOPBACK): loopback targets, and plain http to them. */
export type WebhookEgress = { allowLoopback: boolean };

export type TargetCheck = { ok: true; url: string } | { ok: false; reason: TargetRefusal; message: string };

/** Cloud metadata endpoints reached by name (the addresses themselves are link-local and refused as such). */
const METADATA_HOSTS = new Set([
  "metadata",
  "metadata.google.internal",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.azure.com",
]);
/** Suffixes that only resolve inside a private network. */
const INTERNAL_SUFFIXES = [".internal", ".local", ".localdomain", ".home.arpa", ".intranet", ".corp", ".lan"];

const refuse = (reason: TargetRefusal, message: string): TargetCheck => ({ ok: false, reason, message });

/** Judges a webhook URL; on success returns it normalised (the form delivered to, so what was checked is what is called). */
export function checkWebhookTarget(raw: string, egress: WebhookEgress): TargetCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("invalid_url", "url is not a valid absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return refuse("scheme", `url scheme ${url.protocol} is not allowed (https only)`);
  if (url.username || url.password)
    return refuse("credentials", "url must not carry credentials (user:pass@); authenticate with the webhook signature");
  const hostCheck = checkHost(url.hostname, egress);
  if (hostCheck) return hostCheck;
  // Plain http only reaches loopback, and only under the development setting (checkHost refused loopback otherwise).
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) return refuse("insecure_scheme", "url must use https");
  return { ok: true, url: url.href };
}

function checkHost(hostname: string, egress: WebhookEgress): TargetCheck | null {
  const { host, literal } = normalizeHost(hostname);
  if (literal) return checkAddress(literal, egress);
  if (host === "localhost" || host.endsWith(".localhost")) {
    return egress.allowLoopback ? null : refuse("loopback", `url host ${hostname} is loopback`);
  }
  if (METADATA_HOSTS.has(host)) return refuse("metadata_host", `url host ${hostname} is a cloud metadata endpoint`);
  if (INTERNAL_SUFFIXES.some((s) => host.endsWith(s))) return refuse("internal_host", `url host ${hostname} names a private network`);
  // A single-label name is completed by a resolver's search domains: an internal host by construction.
  if (!host.includes(".")) return refuse("internal_host", `url host ${hostname} is not a public domain name`);
  return null;
}

const IPV4_REFUSALS: Record<string, TargetRefusal> = {
  loopback: "loopback",
  private: "private",
  linkLocal: "link_local",
  carrierGradeNat: "carrier_grade_nat",
  unspecified: "unspecified",
  multicast: "multicast",
  broadcast: "broadcast",
};
const IPV6_REFUSALS: Record<string, TargetRefusal> = {
  loopback: "loopback",
  uniqueLocal: "private",
  linkLocal: "link_local",
  deprecatedSiteLocal: "private",
  unspecified: "unspecified",
  multicast: "multicast",
};
/** The only IPv6 space allocated for global unicast; everything outside it (IPv4-compatible ::a.b.c.d included) is refused. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");

function checkAddress(address: ipaddr.IPv4 | ipaddr.IPv6, egress: WebhookEgress): TargetCheck | null {
  const range = address.range();
  if (range === "loopback" && egress.allowLoopback) return null;
  if (range === "unicast" && (address instanceof ipaddr.IPv4 || address.match(GLOBAL_UNICAST_V6))) return null;
  const table = address instanceof ipaddr.IPv4 ? IPV4_REFUSALS : IPV6_REFUSALS;
  // Anything else (documentation, benchmarking, 6to4, Teredo, NAT64 that embed IPv4, future use) is reserved.
  const reason = table[range] ?? "reserved";
  return refuse(reason, `url address ${address.toString()} is in the ${range} range`);
}

/**
 * Lower-cased host without trailing dots, and its address when it is a literal. The WHATWG parser has already
 * turned decimal, octal, hex and short IPv4 forms into dotted quads; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) reaches the IPv4 address, so it is judged as that.
 */
function normalizeHost(hostname: string): { host: string; literal: ipaddr.IPv4 | ipaddr.IPv6 | null } {
  const host = hostname.replace(/\.+$/, "").toLowerCase();
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return { host, literal: ipaddr.isValid(bare) ? ipaddr.process(bare) : null };
}

function isLoopbackHost(hostname: string): boolean {
  const { host, literal } = normalizeHost(hostname);
  return literal ? literal.range() === "loopback" : host === "localhost" || host.endsWith(".localhost");
}
