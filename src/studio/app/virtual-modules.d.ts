/** onnxruntime-web's wasm as base64, made by the single-file build's plugin (`vite.file.config.ts`). */
declare module 'virtual:ort-wasm-base64' {
  const base64: string;
  export default base64;
}

/** onnxruntime-web's WebGPU build without its engine bundled (Vite aliases it to `dist/ort.webgpu.min.mjs`). */
declare module 'lucerna:ort-webgpu' {
  export * from 'onnxruntime-web';
}
