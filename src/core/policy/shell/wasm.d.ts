// wrangler and vitest-pool-workers hand a `.wasm` import over as a compiled module (CompiledWasm rule).
declare module "*.wasm" {
  const compiled: WebAssembly.Module;
  export default compiled;
}
