// onnxruntime-web's WASM, compiled by wrangler at build time (wrangler's default CompiledWasm rule;
// workerd refuses to compile bytes at run time). `wrangler types` declares the .onnx (Data) and
// .md (Text) modules of our own rules in worker-configuration.d.ts.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
