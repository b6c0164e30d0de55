import { Language, Parser } from "web-tree-sitter";
import runtimeWasm from "web-tree-sitter/web-tree-sitter.wasm";
import bashWasm from "tree-sitter-bash/tree-sitter-bash.wasm";

/**
 * workerd refuses to compile WebAssembly from bytes at run time, so both modules come in as imports that the
 * bundler compiles ahead of time; emscripten is handed the compiled runtime through `instantiateWasm`.
 */
export async function loadBashLanguage(): Promise<Language> {
  await Parser.init({
    instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
      receive(new WebAssembly.Instance(runtimeWasm, imports), runtimeWasm);
      return {};
    },
  });
  return Language.loadSync(bashWasm);
}
