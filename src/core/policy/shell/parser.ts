import { Parser, type Tree } from "web-tree-sitter";

/** workerd names itself in `navigator.userAgent`; Node 20 has no `navigator` at all. */
function inWorkerd(): boolean {
  return (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === "Cloudflare-Workers";
}

let loading: Promise<Parser> | null = null;

/** The bash parser, loaded once per isolate: compiled-module imports in workerd, files on disk in Node. */
export function loadBashParser(): Promise<Parser> {
  loading ??= (async () => {
    const { loadBashLanguage } = inWorkerd() ? await import("./load-workerd") : await import("./load-node");
    const language = await loadBashLanguage(); // initialises the runtime, which `new Parser()` needs
    return new Parser().setLanguage(language);
  })();
  loading.catch(() => (loading = null)); // a failed load is retried by the next caller, never cached
  return loading;
}

/** Parses one script; the caller owns the tree and must `delete()` it (it lives in WebAssembly memory). */
export async function parseBash(script: string): Promise<Tree> {
  const tree = (await loadBashParser()).parse(script);
  if (!tree) throw new Error("bash parser returned no tree");
  return tree;
}
