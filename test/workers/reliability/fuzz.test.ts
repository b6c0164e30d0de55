import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorBodySchema } from "../../../src/core/errors";
import { api, createSession, readEvents } from "../helpers";

/** Any JSON-ish value, including the wrong types in the right places. */
const anyJson = fc.jsonValue({ maxDepth: 3 });
const fieldValue = fc.oneof(
  anyJson,
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
);

async function expectWellFormed(res: Response, label: string): Promise<void> {
  expect(res.status, label).toBeLessThan(500);
  if (res.status >= 400) {
    const parsed = ErrorBodySchema.safeParse(await res.json());
    expect(parsed.success, `${label}: error body shape`).toBe(true);
  } else {
    await res.body?.cancel();
  }
}

describe("property-based bad input", () => {
  it("POST /v1/sessions never 5xx, answers well-formed errors", { timeout: 90_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ agent_id: fieldValue, tags: fieldValue, metadata: fieldValue, max_concurrent_runs: fieldValue }, { requiredKeys: [] }),
        async (body) => {
          await expectWellFormed(await api("/v1/sessions", { method: "POST", json: body }), JSON.stringify(body));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("POST events: rejected batches change nothing", { timeout: 120_000 }, async () => {
    const s = await createSession();
    const event = fc.record(
      {
        type: fc.oneof(fc.constantFrom("message_sent", "run_started", "bogus", ""), fieldValue),
        data: fieldValue,
        id: fieldValue,
        run_id: fieldValue,
        schema_version: fieldValue,
        timestamp: fieldValue,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ events: fc.array(event, { maxLength: 4 }) }), anyJson), async (body) => {
        const before = (await readEvents(s.id)).latest_sequence;
        const res = await api(`/v1/sessions/${s.id}/events`, { method: "POST", json: body });
        const status = res.status;
        await expectWellFormed(res, JSON.stringify(body));
        if (status >= 400) expect((await readEvents(s.id)).latest_sequence).toBe(before);
      }),
      { numRuns: 80 },
    );
  });

  it("POST runs and PATCH sessions: never 5xx; rejected submissions create no run", { timeout: 120_000 }, async () => {
    const s = await createSession();
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            provider: fc.oneof(fc.constantFrom("shell", "nope"), fieldValue),
            input: fieldValue,
            options: fieldValue,
            policy: fieldValue,
            timeout_ms: fieldValue,
          },
          { requiredKeys: [] },
        ),
        async (body) => {
          const res = await api(`/v1/sessions/${s.id}/runs`, {
            method: "POST",
            json: { ...body, input: typeof body.input === "string" && body.input ? "true" : body.input },
          });
          await expectWellFormed(res, JSON.stringify(body));
        },
      ),
      { numRuns: 40 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          { status: fc.oneof(fc.constantFrom("active", "paused", "zzz"), fieldValue), tags: fieldValue, metadata: fieldValue },
          { requiredKeys: [] },
        ),
        async (body) => {
          await expectWellFormed(await api(`/v1/sessions/${s.id}`, { method: "PATCH", json: body }), JSON.stringify(body));
        },
      ),
      { numRuns: 40 },
    );
  });

  // Bounded by count (180 requests, some hitting D1): the timeout leaves room for a busy 2-core machine.
  it("query strings and path segments: never 5xx", { timeout: 180_000 }, async () => {
    const s = await createSession();
    const key = fc.constantFrom(
      "after",
      "before",
      "limit",
      "run_id",
      "type",
      "wait_ms",
      "cursor",
      "status",
      "since",
      "until",
      "order_by",
      "min_tokens",
      "provider",
      "tag",
    );
    const query = fc
      .array(fc.tuple(key, fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String))), { maxLength: 4 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&"));
    const paths = [
      `/v1/sessions/${s.id}/events`,
      "/v1/sessions",
      "/v1/query/runs",
      "/v1/query/events",
      "/v1/query/cost",
      `/v1/sessions/${s.id}/runs`,
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), query, async (path, q) => {
        const url = `${path}?${q.replace(/wait_ms=[^&]*/g, "wait_ms=0")}`;
        await expectWellFormed(await api(url), url);
      }),
      { numRuns: 80 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), async (segment) => {
        const url = `/v1/sessions/${encodeURIComponent(segment)}/runs/${encodeURIComponent(segment)}`;
        await expectWellFormed(await api(url), url);
      }),
      { numRuns: 40 },
    );
  });
});
