import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * client/ is an installable package: `npm pack` builds it (prepack), the tarball installs into an empty project,
 * and both its ESM entry points import and type-check there, with nothing of the server installed beside it.
 */
const clientDir = resolve("client");
const work = mkdtempSync(join(tmpdir(), "asm-client-pack-"));
const npm = (args: string[], cwd: string) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("@asm/client package", () => {
  it("packs, installs from the tarball and imports (ESM, types)", () => {
    npm(["pack", "--pack-destination", work, "--silent"], clientDir);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    expect(tarball).toBeDefined();
    const app = join(work, "app");
    execFileSync("mkdir", ["-p", app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    npm(["install", "--no-audit", "--no-fund", "--prefer-offline", join(work, tarball!)], app);

    const out = execFileSync(
      "node",
      [
        "--input-type=module",
        "-e",
        `
      const m = await import("@asm/client");
      const r = await import("@asm/client/render");
      const c = new m.AsmClient({ baseUrl: "https://asm.invalid", apiKey: "k" });
      console.log(JSON.stringify({ client: typeof c.createSession, token: typeof c.createStreamToken, error: typeof m.AsmError, render: Object.keys(r).length > 0 }));
    `,
      ],
      { cwd: app, encoding: "utf8" },
    );
    expect(JSON.parse(out)).toEqual({ client: "function", token: "function", error: "function", render: true });

    writeFileSync(
      join(app, "walk.ts"),
      `
      import { AsmClient, type Session, type Run, type Event } from "@asm/client";
      const asm = new AsmClient({ baseUrl: "https://asm.invalid", apiKey: "k" });
      export async function walk(): Promise<Run> {
        const s: Session = await asm.createSession({ agent_id: "a" });
        const page = await asm.readEvents(s.id, { after: 0 });
        const first: Event | undefined = page.events[0];
        void first;
        const run = await asm.submitRun(s.id, { provider: "shell", input: { command: "true" } });
        return asm.waitRun(s.id, run.id);
      }
    `,
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          lib: ["ES2023", "DOM"],
          types: [],
        },
        files: ["walk.ts"],
      }),
    );
    execFileSync("node", [resolve("node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: app, encoding: "utf8" });
  }, 300_000);
});
