import type { Hono } from "hono";
import type { AppEnv } from "./types";

type RouteShape = { pattern: RegExp; methods: Set<string> };

/**
 * For a path the app serves under other methods, the methods it does serve (for 405 and `Allow`); null for a path
 * it does not serve at all (404). Built from the app's own route table, so it cannot drift from the routes.
 */
export function allowedMethods(app: Hono<AppEnv>): (path: string) => string[] | null {
  let shapes: RouteShape[] | null = null;
  const build = (): RouteShape[] => {
    const byPath = new Map<string, Set<string>>();
    for (const r of app.routes) {
      if (r.method === "ALL" || r.path.includes("*")) continue;
      const set = byPath.get(r.path) ?? new Set<string>();
      set.add(r.method.toUpperCase());
      if (r.method.toUpperCase() === "GET") set.add("HEAD");
      byPath.set(r.path, set);
    }
    return [...byPath].map(([path, methods]) => ({
      pattern: new RegExp(`^${path.replace(/[.+?^$()|[\]\\]/g, "\\$&").replace(/:[A-Za-z_][A-Za-z0-9_]*/g, "[^/]+")}$`),
      methods,
    }));
  };
  return (path) => {
    shapes ??= build();
    const methods = new Set<string>();
    for (const s of shapes) if (s.pattern.test(path)) for (const m of s.methods) methods.add(m);
    return methods.size ? [...methods].sort() : null;
  };
}
