import { dereference, validate, type Schema } from "@cfworker/json-schema";
import { createApp } from "../../src/api/app";
import { openApiDocument } from "../../src/api/openapi-document";

/**
 * Spec = server: every response the workers suite receives through `api()` is checked against the OpenAPI
 * document the app serves, by the operation its method and path match: the status must be declared, the declared
 * headers present, the content type declared and a JSON body valid against its schema. A mismatch throws, so the
 * test that made the request fails with what differs. Paths the spec does not describe (docs, assets, unknown
 * routes) are not checked. @cfworker/json-schema interprets schemas (no code generation), so it runs in workerd.
 */

type Json = Record<string, unknown>;
type MediaType = { schema?: Json };
type ResponseSpec = { headers?: Record<string, unknown>; content?: Record<string, MediaType> };
type Operation = { operationId?: string; responses: Record<string, ResponseSpec> };
type Route = { template: string; pattern: RegExp; literals: number; methods: Record<string, Operation> };

const DEFS_ID = "https://contract.asm.test/components";

let cached: { routes: Route[]; lookup: Record<string, Schema | boolean> } | null = null;

/** `#/components/schemas/X` → the defs document the validator knows, so every reference resolves. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === "$ref" && typeof v === "string" ? v.replace("#/components/schemas/", `${DEFS_ID}#/$defs/`) : rewriteRefs(v),
    ]),
  );
}

function spec(): { routes: Route[]; lookup: Record<string, Schema | boolean> } {
  if (cached) return cached;
  const doc = openApiDocument(createApp()) as { paths: Record<string, Record<string, Operation>>; components: { schemas: Json } };
  const routes = Object.entries(doc.paths).map(([template, methods]) => {
    const source = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+");
    return {
      template,
      pattern: new RegExp(`^${source}$`),
      literals: template.split("/").filter((s) => s && !s.startsWith("{")).length,
      methods: rewriteRefs(methods) as Record<string, Operation>,
    };
  });
  // The most literal template wins (`/runs/{rid}/wait` before `/runs/{rid}/{x}`, were there one).
  routes.sort((a, b) => b.literals - a.literals);
  // The components are dereferenced once into a shared lookup; each response schema joins it on first use.
  const lookup = dereference(
    { $id: DEFS_ID, $defs: rewriteRefs(doc.components.schemas) } as Schema,
    Object.create(null) as Record<string, Schema | boolean>,
    new URL(DEFS_ID),
  );
  cached = { routes, lookup };
  return cached;
}

const registered = new Set<Json>();

function validateBody(schema: Json, body: unknown) {
  const { lookup } = spec();
  if (!registered.has(schema)) {
    dereference(schema as Schema, lookup, new URL(`https://contract.asm.test/response/${registered.size}`));
    registered.add(schema);
  }
  return validate(body, schema as Schema, "2020-12", lookup, false);
}

/** The operation a request reaches, or null when the spec does not describe its path. */
export function operationFor(method: string, url: string): { template: string; operation: Operation | null; allowed: string[] } | null {
  const path = new URL(url).pathname;
  const route = spec().routes.find((r) => r.pattern.test(path));
  if (!route) return null;
  return { template: route.template, operation: route.methods[method.toLowerCase()] ?? null, allowed: Object.keys(route.methods) };
}

export class ContractViolation extends Error {
  override name = "ContractViolation";
}

/**
 * Checks one response against the spec; resolves when it conforms (or the spec does not describe the path) and
 * rejects with a ContractViolation naming the operation and every difference otherwise. Never consumes the body
 * the caller reads (it reads a clone), and never reads a stream (SSE) or an upgrade.
 */
export async function checkResponse(method: string, url: string, res: Response): Promise<void> {
  const match = operationFor(method, url);
  if (!match) return;
  const where = `${method.toUpperCase()} ${match.template} → ${res.status}`;
  if (!match.operation) {
    // A path the spec knows with a method it does not: the server must say which methods it has.
    if (method.toUpperCase() === "OPTIONS") return;
    if (res.status !== 405) throw new ContractViolation(`${where}: ${method} is not an operation of ${match.template}; expected 405`);
    if (!res.headers.get("allow")) throw new ContractViolation(`${where}: 405 without an Allow header`);
    return;
  }
  const spec = match.operation.responses[String(res.status)] ?? match.operation.responses.default;
  if (!spec) {
    throw new ContractViolation(
      `${where}: status not declared by ${match.operation.operationId} (declares ${Object.keys(match.operation.responses).join(", ")})`,
    );
  }
  const problems: string[] = [];
  for (const name of Object.keys(spec.headers ?? {})) {
    if (!res.headers.has(name)) problems.push(`missing header ${name}`);
  }
  if (res.status === 101 || res.status === 304 || res.status === 204) {
    if (problems.length) throw new ContractViolation(`${where}: ${problems.join("; ")}`);
    return;
  }
  const contentType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const declared = spec.content ?? {};
  const media =
    declared[contentType] ??
    (Object.keys(declared).length === 1 && declared["application/octet-stream"] ? declared["application/octet-stream"] : undefined);
  if (Object.keys(declared).length > 0 && !media)
    problems.push(`content type '${contentType}' not declared (declares ${Object.keys(declared).join(", ")})`);
  if (media?.schema && contentType === "application/json") {
    const body: unknown = await res
      .clone()
      .json()
      .catch(() => Symbol.for("unparseable"));
    if (typeof body === "symbol") problems.push("body is not JSON");
    else {
      const result = validateBody(media.schema, body);
      if (!result.valid) {
        const leaves = result.errors.filter((e) => !/^(oneOf|anyOf|allOf|\$ref|properties|items)$/.test(e.keyword));
        problems.push(...(leaves.length ? leaves : result.errors).slice(0, 8).map((e) => `${e.instanceLocation}: ${e.error}`));
      }
    }
  }
  if (problems.length) throw new ContractViolation(`${where} (${match.operation.operationId}): ${problems.join("; ")}`);
}

// Built while the test file loads, not inside the first test's timing (generation takes most of a second).
spec();
