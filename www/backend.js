// Which engine the worker starts, decided before any wasm is fetched: WebGPU, or the CPU path
// (Burn's CPU backend in wasm), on a pool of threads where the page is cross-origin isolated.
// The page's `?backend=cpu|webgpu` forces a choice. A software WebGPU (SwiftShader and its
// kin emulate the GPU on the processor) is passed over for the CPU path: on the same processor
// the CPU path trains the lesson's DCGAN many times faster (bench/README.md).

// Adapters that are the processor pretending to be a GPU, by what they report of themselves.
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;
// What the CPU path gained over SwiftShader's WebGPU, lesson DCGAN, batch 64, on one thread
// (with two it is ~31x), same 2-core machine (bench/README.md, "CPU engine"); quoted to the
// user as the reason for the choice.
const CPU_OVER_SOFTWARE = 20;

// `{ webgpu, note }`: the backend to open and, where it is not plain WebGPU, why. A WebGPU
// chosen here is still checked against the CPU path when it opens (src/selfcheck.rs).
// `trustSoftware` (the self-check's test hook) takes a software adapter as a GPU.
export async function chooseBackend(forced, trustSoftware = false) {
  if (forced === 'cpu') return { webgpu: false, note: 'CPU backend chosen by the page (?backend=cpu).' };
  const gpu = self.navigator.gpu;
  if (!gpu) return { webgpu: false, note: 'This browser has no WebGPU (navigator.gpu is missing), so training runs on the CPU in wasm.' };
  if (forced === 'webgpu' || trustSoftware) return { webgpu: true, note: '' };
  let adapter = null;
  try { adapter = await gpu.requestAdapter(); } catch { /* taken as no adapter */ }
  if (!adapter) {
    return { webgpu: false, note: 'This browser has WebGPU but gave Easel no usable GPU adapter, so training runs on the CPU in wasm.' };
  }
  const info = adapter.info || {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  if (info.isFallbackAdapter || SOFTWARE.test(name)) {
    return {
      webgpu: false,
      note: `Your browser's WebGPU is a software emulation (${name || 'a fallback adapter'}), so Easel trains on the CPU path: about ${CPU_OVER_SOFTWARE}× faster than the emulation on the same processor. ?backend=webgpu in the address forces WebGPU.`,
    };
  }
  return { webgpu: true, note: '' };
}

// Threads for the CPU path: every core, where the page may share memory between workers.
// `{ threads, why }`: why is said in the badge's note when there is one thread.
export function cpuThreads() {
  const cores = self.navigator.hardwareConcurrency || 1;
  if (!self.crossOriginIsolated) {
    return { threads: 1, why: 'One thread: the page is not cross-origin isolated (its server does not send the Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers; see the README), so the CPU path cannot share memory between workers.' };
  }
  if (cores < 2) return { threads: 1, why: 'One thread: the browser reports one processor core.' };
  return { threads: cores, why: '' };
}
