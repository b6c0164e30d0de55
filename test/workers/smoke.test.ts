import { describe, expect, it } from "vitest";
import { api, appendEvents, createSession, readEvents, note } from "./helpers";

describe("smoke", () => {
  it("creates a session, appends and reads events", async () => {
    const s = await createSession();
    expect(s.id).toMatch(/^ses_[0-9a-f]{32}$/);
    const stored = await appendEvents(s.id, [note("a"), note("b")]);
    expect(stored.map((e) => e.sequence)).toEqual([2, 3]);
    const page = await readEvents(s.id);
    expect(page.events.map((e) => e.type)).toEqual(["session_created", "message_sent", "message_sent"]);
    expect(page.latest_sequence).toBe(3);
    const res = await api("/openapi.json", { key: null });
    expect(res.status).toBe(200);
  });
});
