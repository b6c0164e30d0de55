import { describe, expect, it } from "vitest";
import {
  applySticky,
  bindProvider,
  boundProvider,
  HEALTHY,
  inCooldown,
  recordHealthFailure,
  recordHealthSuccess,
  StickyBindingSchema,
} from "../../../src/core/routing";

describe("health", () => {
  it("counts consecutive failures and remembers the last one", () => {
    const h = recordHealthFailure(recordHealthFailure(HEALTHY, 100), 250);
    expect(h).toEqual({ failures: 2, last_failure_at: 250 });
  });

  it("is in cooldown until cooldown_ms has passed since the last failure", () => {
    const h = recordHealthFailure(HEALTHY, 1_000);
    expect(inCooldown(h, 1_000, 500)).toBe(true);
    expect(inCooldown(h, 1_499, 500)).toBe(true);
    expect(inCooldown(h, 1_500, 500)).toBe(false);
  });

  it("a healthy provider is never in cooldown; a success resets", () => {
    expect(inCooldown(HEALTHY, 0, 30_000)).toBe(false);
    const reset = recordHealthSuccess(recordHealthFailure(HEALTHY, 1_000));
    expect(reset).toEqual(HEALTHY);
    expect(inCooldown(reset, 1_001, 30_000)).toBe(false);
  });
});

describe("sticky bindings", () => {
  it("a binding holds until its ttl expires", () => {
    const b = bindProvider("codex", 1_000, 300);
    expect(StickyBindingSchema.parse(b)).toEqual({ provider: "codex", expires_at: 1_300 });
    expect(boundProvider(b, 1_299)).toBe("codex");
    expect(boundProvider(b, 1_300)).toBeNull();
    expect(boundProvider(null, 0)).toBeNull();
  });

  it("the bound provider goes first when available", () => {
    expect(applySticky(["amp", "codex", "shell"], "shell")).toEqual(["shell", "amp", "codex"]);
  });

  it("an unavailable bound provider leaves the normal order", () => {
    expect(applySticky(["amp", "codex"], "shell")).toEqual(["amp", "codex"]);
    expect(applySticky(["amp", "codex"], null)).toEqual(["amp", "codex"]);
  });
});
