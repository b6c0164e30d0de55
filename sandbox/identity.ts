import { chown, lchown, lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * One unprivileged user per workspace. The owner of the workspace folder is the record of which uid a workspace
 * has, so the mapping survives restarts without a table; new workspaces take the next free uid. Distinct users
 * keep sessions apart even outside their namespaces and make the process limit (RLIMIT_NPROC, counted per user)
 * a per-session bound.
 */

export const FIRST_WORKSPACE_UID = 200_000;
const LAST_WORKSPACE_UID = 2_000_000_000;

export class UidAllocator {
  private next = FIRST_WORKSPACE_UID;
  private loaded: Promise<void> | null = null;

  constructor(private readonly root: string) {}

  /** Scans existing workspaces once so a restarted server never hands out a uid that is already in use. */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const names = await readdir(this.root).catch(() => [] as string[]);
      for (const name of names) {
        const info = await lstat(join(this.root, name)).catch(() => null);
        if (info?.isDirectory() && info.uid >= this.next && info.uid < LAST_WORKSPACE_UID) this.next = info.uid + 1;
      }
    })();
    return this.loaded;
  }

  async allocate(): Promise<number> {
    await this.load();
    return this.next++;
  }
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
