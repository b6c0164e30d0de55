import { describe, expect, it } from "vitest";
import { flushWait } from "../../../src/session/flusher";

const limits = { quietMs: 250, maxLagMs: 2_000 };

describe("flushWait: the copy to D1 waits for a pause, but only so long", () => {
  it("flushes at once when nothing is known to be pending (a fresh instance after eviction)", () => {
    expect(flushWait(10_000, { lastAt: 9_999, pendingSince: null }, limits)).toBeNull();
  });

  it("waits until appends have paused for quietMs", () => {
    // First append at 0, the latest at 900: quiet from 1,150 on.
    expect(flushWait(1_000, { lastAt: 900, pendingSince: 0 }, limits)).toBe(150);
    expect(flushWait(1_150, { lastAt: 900, pendingSince: 0 }, limits)).toBeNull();
  });

  it("never waits past maxLagMs after the first event D1 does not have, however steady the appends", () => {
    // An append every 10 ms since 0: never quiet, so the lag bound decides.
    expect(flushWait(1_990, { lastAt: 1_990, pendingSince: 0 }, limits)).toBe(10);
    expect(flushWait(2_000, { lastAt: 2_000, pendingSince: 0 }, limits)).toBeNull();
    expect(flushWait(2_500, { lastAt: 2_500, pendingSince: 0 }, limits)).toBeNull();
  });

  it("with no quiet period configured, flushes whenever the alarm comes", () => {
    expect(flushWait(5, { lastAt: 5, pendingSince: 0 }, { quietMs: 0, maxLagMs: 2_000 })).toBeNull();
  });
});
