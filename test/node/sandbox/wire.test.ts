import { describe, expect, it } from "vitest";
import { AppError } from "../../../src/core/errors";
import type { Snapshot } from "../../../src/core/sandbox-protocol";
import { SANDBOX_ROUTES, sandboxPath, type Given, type SandboxRouteName, type SandboxRoutes } from "../../../src/core/sandbox-routes";
import { sandboxApp, type SandboxHandlers } from "../../../sandbox/wire";

/**
 * The wire itself, without processes or jails: the Hono app mounted from the route table, with handlers that record
 * what they were given and answer with an error naming their route. No bubblewrap needed, nothing timed.
 */

const TOKEN = "tok_wire";
const MAX_BODY = 1024;
const snapshot: Snapshot = {
  backend: "git",
  path: ".",
  ref: "a".repeat(40),
  label: null,
  captured_at: "2026-01-01T00:00:00Z",
  metadata: {},
};

/** One valid request per route: the type demands every route of the table. */
type Sample<R extends SandboxRoutes[SandboxRouteName]> = {
  params?: Given<R["params"]>;
  query?: Record<string, string>;
  body?: Given<R["body"]>;
};
const SAMPLES: { [K in SandboxRouteName]: Sample<SandboxRoutes[K]> } = {
  health: {},
  exec: { body: { command: "true" } },
  kill: { params: { id: "exec_1" } },
  readFile: { query: { path: "a.txt" } },
  writeFile: { body: { path: "a.txt", content: "x" } },
  listFiles: { query: {} },
  editFile: { body: { path: "a.txt", old_string: "a", new_string: "b" } },
  snapshot: { body: {} },
  diff: { body: { from: snapshot, to: snapshot } },
  rollback: { body: { snapshot } },
  restoreFrom: { body: { source_workspace: "ses_src", snapshot } },
  deleteWorkspace: {},
};

type Call = { route: string; input: { params: unknown; query: unknown; body: unknown; workspaceId: string | undefined } };

function recordingApp() {
  const calls: Call[] = [];
  const record =
    (route: SandboxRouteName) =>
    async (input: Call["input"]): Promise<never> => {
      calls.push({ route, input: { params: input.params, query: input.query, body: input.body, workspaceId: input.workspaceId } });
      throw new AppError("already_exists", `handled by ${route}`, { route });
    };
  const handlers: SandboxHandlers = {
    health: record("health"),
    exec: record("exec"),
    kill: record("kill"),
    readFile: record("readFile"),
    writeFile: record("writeFile"),
    listFiles: record("listFiles"),
    editFile: record("editFile"),
    snapshot: record("snapshot"),
    diff: record("diff"),
    rollback: record("rollback"),
    restoreFrom: record("restoreFrom"),
    deleteWorkspace: record("deleteWorkspace"),
  };
  return { app: sandboxApp(TOKEN, handlers, MAX_BODY), calls };
}

type Send = { method: string; path: string; token?: string | null; body?: BodyInit; headers?: Record<string, string> };

async function send(app: ReturnType<typeof recordingApp>["app"], req: Send) {
  const headers = new Headers({ "x-sandbox-workspace": "ws1", ...req.headers });
  if (req.token !== null) headers.set("authorization", `Bearer ${req.token ?? TOKEN}`);
  const init: RequestInit & { duplex?: "half" } = { method: req.method, headers, body: req.body };
  if (req.body instanceof ReadableStream) init.duplex = "half";
  const res = await app.request(`http://sandbox${req.path}`, init);
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    body: (await res.json()) as { error: { code: string; message: string; details: Record<string, unknown> } },
  };
}

describe("the sandbox wire on Hono", () => {
  it("mounts every route of the table at its method and path, parsing params, query and body with its schemas", async () => {
    const { app, calls } = recordingApp();
    for (const name of Object.keys(SANDBOX_ROUTES) as SandboxRouteName[]) {
      const route = SANDBOX_ROUTES[name];
      const sample: Sample<SandboxRoutes[SandboxRouteName]> = SAMPLES[name];
      const path = sandboxPath(route, sample.params as Record<string, string> | undefined, sample.query);
      const res = await send(app, {
        method: route.method,
        path,
        body: sample.body === undefined ? undefined : JSON.stringify(sample.body),
      });
      expect(res.status, name).toBe(409);
      expect(res.type).toBe("application/json; charset=utf-8");
      expect(res.body.error.details, name).toEqual({ route: name });
    }
    expect(calls.map((c) => c.route)).toEqual(Object.keys(SANDBOX_ROUTES));
    const byRoute = new Map(calls.map((c) => [c.route, c.input]));
    expect(byRoute.get("kill")).toMatchObject({ params: { id: "exec_1" }, workspaceId: "ws1" });
    // Defaults and transforms of the schemas apply: an empty listing query is the root, not recursive.
    expect(byRoute.get("listFiles")?.query).toEqual({ path: ".", recursive: false });
    expect(byRoute.get("snapshot")?.body).toEqual({ path: ".", backend: "auto" });
  });

  it("serves health without a token and nothing else", async () => {
    const { app, calls } = recordingApp();
    expect((await send(app, { method: "GET", path: "/health", token: null })).body.error.details).toEqual({ route: "health" });
    for (const token of [null, "wrong", `${TOKEN}x`, TOKEN.replace("w", "W")]) {
      for (const [method, path] of [
        ["POST", "/exec"],
        ["POST", "/health"],
        ["GET", "/nope"],
        ["GET", "/files?path=a"],
      ] as const) {
        const res = await send(app, { method, path, token, body: method === "POST" ? "{}" : undefined });
        expect(res.status, `${method} ${path} ${token}`).toBe(401);
        expect(res.body.error.code).toBe("unauthorized");
      }
    }
    expect(calls.map((c) => c.route)).toEqual(["health"]);
  });

  it("answers unknown routes and methods with 404 not_found", async () => {
    const { app } = recordingApp();
    for (const [method, path] of [
      ["GET", "/nope"],
      ["DELETE", "/files"],
      ["GET", "/exec"],
      ["POST", "/exec/x/kill/more"],
    ]) {
      const res = await send(app, { method: method!, path: path! });
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "not_found", message: `no route for ${method} ${path}` });
    }
  });

  it("refuses malformed JSON and invalid fields with 400 validation_error, and reads an empty body as {}", async () => {
    const { app, calls } = recordingApp();
    const bad = await send(app, { method: "POST", path: "/exec", body: "{not json" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "validation_error", message: "request body is not valid JSON" });
    const fields = await send(app, { method: "POST", path: "/exec", body: JSON.stringify({ command: 42, timeout_ms: -1 }) });
    expect(fields.status).toBe(400);
    expect((fields.body.error.details.issues as { path: string }[]).map((i) => i.path).sort()).toEqual(["command", "timeout_ms"]);
    const missing = await send(app, { method: "GET", path: "/files" });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.issues).toEqual([{ path: "path", message: "query parameter path is required" }]);
    await send(app, { method: "POST", path: "/workspace/snapshot" });
    expect(calls.map((c) => [c.route, c.input.body])).toEqual([["snapshot", { path: ".", backend: "auto" }]]);
  });

  it("refuses a body over the limit with 413 payload_too_large, declared or streamed", async () => {
    const { app, calls } = recordingApp();
    const big = JSON.stringify({ command: "x".repeat(MAX_BODY) });
    const declared = await send(app, { method: "POST", path: "/exec", body: big });
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe("payload_too_large");
    const chunk = new TextEncoder().encode("x".repeat(100));
    let sent = 0;
    const streamed = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Far past the limit if nobody stops reading; the server stops at the limit.
        if (sent++ < 1_000) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const chunked = await send(app, { method: "POST", path: "/exec", body: streamed });
    expect(chunked.status).toBe(413);
    expect(chunked.body.error.code).toBe("payload_too_large");
    expect(sent).toBeLessThan(1_000);
    expect(calls).toEqual([]);
  });
});
