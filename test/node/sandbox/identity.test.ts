import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIRST_WORKSPACE_UID, UidAllocator } from "../../../sandbox/identity";

const base = mkdtempSync(join(tmpdir(), "asm-uids-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A workspace folder as the server makes it before asking for a uid. */
function workspace(root: string, id: string): string {
  const dir = join(base, root, id);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe("workspace uids are claimed for the whole host", () => {
  it("two servers with different roots never hand out the same uid; a removed workspace gives its uid back; a stale claim is reused", async () => {
    const claims = join(base, "claims");
    const first = new UidAllocator(join(base, "root-a"), claims);
    const second = new UidAllocator(join(base, "root-b"), claims);
    const a1 = workspace("root-a", "w1");
    const b1 = workspace("root-b", "w1");
    const [ua, ub] = await Promise.all([first.allocate(a1), second.allocate(b1)]);
    expect(new Set([ua, ub]).size).toBe(2);
    expect(Math.min(ua, ub)).toBe(FIRST_WORKSPACE_UID);

    // Released by its own workspace only: another path cannot free it.
    await second.release(ua, b1);
    const third = new UidAllocator(join(base, "root-c"), claims);
    expect(await third.allocate(workspace("root-c", "w1"))).toBe(FIRST_WORKSPACE_UID + 2);
    await first.release(ua, a1);

    // root-b's folder disappears without a hard delete (a test run's temporary root): its claim is stale.
    rmSync(join(base, "root-b"), { recursive: true, force: true });
    const fourth = new UidAllocator(join(base, "root-d"), claims);
    const got = [await fourth.allocate(workspace("root-d", "w1")), await fourth.allocate(workspace("root-d", "w2"))];
    expect(got.sort()).toEqual([ua, ub].sort());
  });

  it("servers racing over stale claims never share a uid, and every claim names its own workspace", async () => {
    const claims = join(base, "race-claims");
    // Twenty stale claims: their workspaces are gone, so every server tries to take each of them over at once.
    for (let i = 0; i < 20; i++) {
      mkdirSync(join(claims, String(FIRST_WORKSPACE_UID + i)), { recursive: true });
      writeFileSync(join(claims, String(FIRST_WORKSPACE_UID + i), "owner"), join(base, "gone", `w${i}`));
    }
    const servers = Array.from({ length: 8 }, (_, k) => new UidAllocator(join(base, `race-${k}`), claims));
    const taken = await Promise.all(
      servers.flatMap((server, k) =>
        Array.from({ length: 5 }, async (_, i) => {
          const dir = workspace(`race-${k}`, `w${i}`);
          return { dir, uid: await server.allocate(dir) };
        }),
      ),
    );
    expect(new Set(taken.map((t) => t.uid)).size).toBe(taken.length);
    for (const t of taken) expect(readFileSync(join(claims, String(t.uid), "owner"), "utf8")).toBe(t.dir);
  });
});
