import { createRequire } from "node:module";
import { Language, Parser } from "web-tree-sitter";

/** In Node the runtime finds its own `.wasm` beside its script, and the grammar is read from its package. */
export async function loadBashLanguage(): Promise<Language> {
  await Parser.init();
  const grammarPath = createRequire(import.meta.url).resolve("tree-sitter-bash/tree-sitter-bash.wasm");
  return Language.load(grammarPath);
}
