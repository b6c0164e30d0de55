import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newId } from "../../../src/core/ids";
import { Alarms } from "../../../src/session/alarms";
import { KeyValue } from "../../../src/session/kv";
import type { SessionDO } from "../../../src/session/SessionDO";

/** Real DO storage (alarm and kv table) of an object that holds no session, so nothing else arms its alarm. */
function freshObject() {
  return env.SESSIONS.get(env.SESSIONS.idFromName(`alarms:${newId("ses")}`));
}

/** Deadlines an hour out: the object's alarm never fires while the test looks at it. */
const HOUR = 3_600_000;

describe("Alarms", () => {
  it("points the one alarm at the earliest deadline and keeps deadlines across instances", async () => {
    await runInDurableObject(freshObject(), async (_i: SessionDO, state) => {
      const base = Date.now() + HOUR;
      const kv = new KeyValue(state.storage.sql);
      const alarms = new Alarms(state.storage, kv);
      await alarms.set("flush", base + 2_000);
      expect(await state.storage.getAlarm()).toBe(base + 2_000);
      await alarms.set("run_deadline", base + 1_000);
      expect(await state.storage.getAlarm()).toBe(base + 1_000);
      await alarms.set("approval", base + 5_000);
      expect(await state.storage.getAlarm()).toBe(base + 1_000);
      expect(alarms.has("flush")).toBe(true);

      // A new instance (the object after eviction) reads the same deadlines from storage.
      const reloaded = new Alarms(state.storage, new KeyValue(state.storage.sql));
      expect(["flush", "run_deadline", "approval"].every((n) => reloaded.has(n))).toBe(true);
      await state.storage.deleteAlarm();
    });
  });

  it("keepEarlier keeps an earlier deadline; clear and takeDue remove names", async () => {
    await runInDurableObject(freshObject(), async (_i: SessionDO, state) => {
      const base = Date.now() + HOUR;
      const alarms = new Alarms(state.storage, new KeyValue(state.storage.sql));
      await alarms.set("flush", base + 1_000);
      await alarms.set("flush", base + 9_000, true);
      await alarms.set("other", base + 3_000);
      expect(alarms.takeDue(base + 1_000)).toEqual(["flush"]);
      expect(alarms.has("flush")).toBe(false);
      expect(alarms.takeDue(base + 2_000)).toEqual([]);
      await alarms.clear("other");
      expect(alarms.has("other")).toBe(false);
      expect(new Alarms(state.storage, new KeyValue(state.storage.sql)).has("other")).toBe(false);
      await state.storage.deleteAlarm();
    });
  });

  it("rearm moves the alarm to the next deadline after one ran", async () => {
    await runInDurableObject(freshObject(), async (_i: SessionDO, state) => {
      const base = Date.now() + HOUR;
      const alarms = new Alarms(state.storage, new KeyValue(state.storage.sql));
      await alarms.set("a", base + 1_000);
      await alarms.set("b", base + 4_000);
      expect(alarms.takeDue(base + 1_000)).toEqual(["a"]);
      await alarms.rearm();
      expect(await state.storage.getAlarm()).toBe(base + 4_000);
      await state.storage.deleteAlarm();
    });
  });
});
