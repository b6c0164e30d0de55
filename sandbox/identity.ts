import { randomUUID } from "node:crypto";
import { chown, lchown, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/**
 * One unprivileged user per workspace. The owner of the workspace folder is the record of which uid a workspace
 * has, so the mapping survives restarts without a table; new workspaces take the next free uid. Distinct users
 * keep sessions apart even outside their namespaces and make the process limit (RLIMIT_NPROC, counted per user)
 * a per-session bound.
 */

export const FIRST_WORKSPACE_UID = 200_000;
const LAST_WORKSPACE_UID = 2_000_000_000;

/**
 * Where uids are claimed for the whole host: one directory per uid, made with an atomic mkdir. Two sandbox servers
 * on one machine (`npm run dev` beside a test run, two test runs) have different roots, and without a host-wide
 * claim both would give uid 200000 to different workspaces: sharing a process limit, and a hard delete in one
 * (which kills every process of the workspace's uid) would kill the other's commands.
 */
export const DEFAULT_UID_CLAIMS_DIR = "/var/lib/asm-sandbox/uid-claims";

export class UidAllocator {
  private next = FIRST_WORKSPACE_UID;
  private loaded: Promise<void> | null = null;

  constructor(
    private readonly root: string,
    private readonly claimsDir = process.env.SANDBOX_UID_CLAIMS || DEFAULT_UID_CLAIMS_DIR,
  ) {}

  /** Scans existing workspaces once so a restarted server never hands out a uid that is already in use. */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      await mkdir(this.claimsDir, { recursive: true, mode: 0o700 });
      const names = await readdir(this.root).catch(() => [] as string[]);
      for (const name of names) {
        const info = await lstat(join(this.root, name)).catch(() => null);
        if (info?.isDirectory() && info.uid >= this.next && info.uid < LAST_WORKSPACE_UID) this.next = info.uid + 1;
      }
    })();
    return this.loaded;
  }

  /** The next uid no workspace on this host holds, claimed for `workspaceDir`. */
  async allocate(workspaceDir: string): Promise<number> {
    await this.load();
    // The claim is built once, aside, with its owner inside, and renamed into place at the first free uid: a claim is
    // never seen without its owner (another server reading it in between took the empty claim for stale and moved it
    // away, owner file and all).
    const fresh = join(this.claimsDir, `.new-${process.pid}-${randomUUID()}`);
    await mkdir(fresh);
    try {
      await writeFile(join(fresh, "owner"), resolve(workspaceDir));
      for (; this.next < LAST_WORKSPACE_UID; this.next++) {
        const uid = this.next;
        if (await this.claim(uid, fresh)) {
          this.next = uid + 1;
          return uid;
        }
      }
      throw new Error("no free workspace uid left on this host");
    } finally {
      // Gone once it became the claim; otherwise nothing may keep it.
      await rm(fresh, { recursive: true, force: true });
    }
  }

  /** Gives a uid back when its workspace is removed (only if the claim is still this workspace's). */
  async release(uid: number, workspaceDir: string): Promise<void> {
    const claim = join(this.claimsDir, String(uid));
    if ((await ownerOf(claim)) === resolve(workspaceDir)) await rm(claim, { recursive: true, force: true });
  }

  /** Moves the prepared claim `fresh` (its owner inside) to `uid`, taking over a stale claim there if need be. */
  private async claim(uid: number, fresh: string): Promise<boolean> {
    const claim = join(this.claimsDir, String(uid));
    if (await succeeds(rename(fresh, claim))) return true;
    return this.takeOver(uid, claim, fresh);
  }

  /**
   * Replaces the claim at `claim` with `fresh` if it is stale: its workspace is gone (a test root deleted without a
   * hard delete) or no longer has that uid. Takeovers of one uid hold a lock folder, so two servers never both judge
   * the same claim stale and move it: the second one would move the first one's new, live claim, and in the moment
   * it was gone a third server could take the uid too.
   */
  private async takeOver(uid: number, claim: string, fresh: string): Promise<boolean> {
    const lock = `${claim}.takeover`;
    if (!(await succeeds(mkdir(lock)))) return false;
    try {
      const owner = await ownerOf(claim);
      const holder = owner === null ? null : await lstat(owner).catch(() => null);
      // Uid 0: claimed a moment ago and not yet handed over.
      if (owner === null || (holder && (holder.uid === uid || holder.uid === 0))) return false;
      const aside = join(this.claimsDir, `.stale-${uid}-${process.pid}-${randomUUID()}`);
      if (!(await succeeds(rename(claim, aside)))) return false;
      // Released and claimed again between the read and the move (no takeover, so no lock): it goes back.
      if ((await ownerOf(aside)) !== owner) {
        await rename(aside, claim).catch(() => undefined);
        return false;
      }
      await rm(aside, { recursive: true, force: true });
      return succeeds(rename(fresh, claim));
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}

/** Whether a filesystem step that fails when another server got there first went through. */
function succeeds(step: Promise<unknown>): Promise<boolean> {
  return step.then(
    () => true,
    () => false,
  );
}

async function ownerOf(claim: string): Promise<string | null> {
  return readFile(join(claim, "owner"), "utf8").catch(() => null);
}

/** Hands a path (not following symlinks) to the workspace user; a no-op when the server cannot switch users. */
export async function giveTo(path: string, uid: number | null): Promise<void> {
  if (uid === null) return;
  await lchown(path, uid, uid).catch(() => undefined);
}

/** Hands a whole tree to the workspace user (used once, for workspaces made before users existed). */
export async function giveTreeTo(dir: string, uid: number): Promise<void> {
  await chown(dir, uid, uid);
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const entry of await readdir(current, { withFileTypes: true }).catch(() => [])) {
      const path = join(current, entry.name);
      await giveTo(path, uid);
      if (entry.isDirectory()) stack.push(path);
    }
  }
}
