import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  filterByCapabilities,
  orderCandidates,
  RoutingPolicySchema,
  weightedScore,
  type RoutingPolicyInput,
} from "../../../src/core/routing";

const ids = ["shell", "openai", "codex", "claude-code", "anthropic", "amp"];
const policy = (input: RoutingPolicyInput) => RoutingPolicySchema.parse(input);

describe("orderCandidates: prefer strategy", () => {
  it("puts preferred ids first in prefer order, then the rest by id", () => {
    expect(orderCandidates(ids, policy({ prefer: ["codex", "anthropic"] }))).toEqual([
      "codex",
      "anthropic",
      "amp",
      "claude-code",
      "openai",
      "shell",
    ]);
  });

  it("with no prefer list, orders by id", () => {
    expect(orderCandidates(ids, policy({}))).toEqual(["amp", "anthropic", "claude-code", "codex", "openai", "shell"]);
  });

  it("drops excluded ids, even preferred ones, and ignores preferred ids that are not candidates", () => {
    expect(orderCandidates(ids, policy({ prefer: ["gemini", "openai", "amp"], exclude: ["amp", "shell"] }))).toEqual([
      "openai",
      "anthropic",
      "claude-code",
      "codex",
    ]);
  });

  it("ignores failure counts", () => {
    expect(orderCandidates(["a", "b"], policy({ prefer: ["a"] }), { a: 10 })).toEqual(["a", "b"]);
  });

  it("is independent of input order (property)", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(ids, { minLength: 0 }), fc.shuffledSubarray(ids), (prefer, shuffled) => {
        const p = policy({ prefer });
        expect(orderCandidates(shuffled, p)).toEqual(orderCandidates([...shuffled].sort(), p));
      }),
    );
  });
});

describe("orderCandidates: weighted strategy", () => {
  it("scores weight - 0.5 x failures, weight 1.0 by default", () => {
    expect(weightedScore("x", {}, 0)).toBe(1);
    expect(weightedScore("x", { x: 3 }, 2)).toBe(2);
    expect(weightedScore("y", { x: 3 }, 1)).toBe(0.5);
  });

  it("sorts by score descending", () => {
    const p = policy({ strategy: "weighted", weights: { openai: 2, anthropic: 1.5 } });
    expect(orderCandidates(["anthropic", "openai", "shell"], p)).toEqual(["openai", "anthropic", "shell"]);
  });

  it("failures lower the score: openai (weight 2) falls to a tie at one failure and below anthropic (1.5) at two", () => {
    const p = policy({ strategy: "weighted", weights: { openai: 2, anthropic: 1.5 } });
    expect(orderCandidates(["anthropic", "openai"], p, {})).toEqual(["openai", "anthropic"]);
    expect(orderCandidates(["anthropic", "openai"], p, { openai: 1 })).toEqual(["anthropic", "openai"]); // 1.5 vs 1.5: tie, by id
    expect(orderCandidates(["anthropic", "openai"], { ...p, prefer: ["openai"] }, { openai: 1 })).toEqual(["openai", "anthropic"]); // tie, by prefer
    expect(orderCandidates(["anthropic", "openai"], { ...p, prefer: ["openai"] }, { openai: 2 })).toEqual(["anthropic", "openai"]); // 1.0 < 1.5
  });

  it("breaks ties by position in prefer; ids not in prefer come last, then by id", () => {
    const p = policy({ strategy: "weighted", prefer: ["shell", "codex"] });
    expect(orderCandidates(["amp", "codex", "openai", "shell"], p)).toEqual(["shell", "codex", "amp", "openai"]);
  });

  it("a higher score beats a better prefer position", () => {
    const p = policy({ strategy: "weighted", prefer: ["shell"], weights: { amp: 1.1 } });
    expect(orderCandidates(["shell", "amp"], p)).toEqual(["amp", "shell"]);
  });

  it("drops excluded ids", () => {
    const p = policy({ strategy: "weighted", weights: { amp: 9 }, exclude: ["amp"] });
    expect(orderCandidates(["amp", "codex"], p)).toEqual(["codex"]);
  });

  it("output is sorted by score, never contains excluded ids, and keeps every other id once (property)", () => {
    const arbWeights = fc.dictionary(
      fc.constantFrom(...ids),
      fc.integer({ min: -4, max: 4 }).map((n) => n / 2),
    );
    const arbFailures = fc.dictionary(fc.constantFrom(...ids), fc.nat(5));
    fc.assert(
      fc.property(fc.shuffledSubarray(ids), fc.subarray(ids), arbWeights, arbFailures, (input, exclude, weights, failures) => {
        const out = orderCandidates(input, policy({ strategy: "weighted", weights, exclude }), failures);
        expect([...out].sort()).toEqual(input.filter((id) => !exclude.includes(id)).sort());
        const scores = out.map((id) => weightedScore(id, weights, failures[id] ?? 0));
        for (let i = 1; i < scores.length; i++) expect(scores[i - 1]!).toBeGreaterThanOrEqual(scores[i]!);
      }),
    );
  });
});

describe("filterByCapabilities", () => {
  const candidates = [
    {
      id: "anthropic",
      capabilities: [
        { type: "tool", name: "web_search" },
        { type: "sampling", name: "messages" },
      ],
    },
    { id: "shell", capabilities: [{ type: "code_execution", name: "bash" }] },
    {
      id: "codex",
      capabilities: [
        { type: "tool", name: "apply_patch" },
        { type: "code_execution", name: "bash" },
      ],
    },
  ];
  const req = (type: "tool" | "code_execution" | "sampling", name: string | null = null) => ({ type, name });

  it("{type, name} matches type and name", () => {
    expect(filterByCapabilities(candidates, [req("tool", "apply_patch")])).toEqual(["codex"]);
  });

  it("{type, name: null} matches the type alone", () => {
    expect(filterByCapabilities(candidates, [req("tool")])).toEqual(["anthropic", "codex"]);
  });

  it("every requirement must hold", () => {
    expect(filterByCapabilities(candidates, [req("tool"), req("code_execution", "bash")])).toEqual(["codex"]);
    expect(filterByCapabilities(candidates, [req("sampling"), req("code_execution")])).toEqual([]);
  });

  it("no requirements keeps everyone", () => {
    expect(filterByCapabilities(candidates, [])).toEqual(["anthropic", "shell", "codex"]);
  });
});
