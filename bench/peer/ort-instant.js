// The peer of Easel's instant style: the same two networks (the float graphs that
// tools/convert_instant.py --onnx bench/out writes from the ONNX Easel's weights come from), run
// by onnxruntime-web on its wasm or WebGPU execution provider, on the same images. Loaded by
// bench/peer/ort.html; bench/instant.mjs drives window.ortpeer.
import * as ort from '../node_modules/onnxruntime-web/dist/ort.all.min.mjs';

ort.env.wasm.wasmPaths = new URL('../node_modules/onnxruntime-web/dist/', import.meta.url).href;
ort.env.wasm.numThreads = navigator.hardwareConcurrency;
let predict, transform;

// An image file as NHWC float32 in [0, 1], resized so its longest side is `longest` (or to
// `square` x `square` from its centre square), as Easel prepares them.
async function pixels(url, { longest, square }) {
  const bmp = await createImageBitmap(await (await fetch(url)).blob());
  let sx = 0, sy = 0, sw = bmp.width, sh = bmp.height, w, h;
  if (square) {
    const side = Math.min(sw, sh);
    [sx, sy, sw, sh, w, h] = [(bmp.width - side) / 2, (bmp.height - side) / 2, side, side, square, square];
  } else {
    const k = longest / Math.max(sw, sh);
    [w, h] = [Math.round(sw * k), Math.round(sh * k)];
    // The network halves the side twice: pad to multiples of 4 as Easel does (there: reflect).
    [w, h] = [Math.ceil(w / 4) * 4, Math.ceil(h / 4) * 4];
  }
  const c = new OffscreenCanvas(w, h);
  const g = c.getContext('2d');
  g.drawImage(bmp, sx, sy, sw, sh, 0, 0, w, h);
  const rgba = g.getImageData(0, 0, w, h).data;
  const out = new Float32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) for (let k = 0; k < 3; k++) out[3 * i + k] = rgba[4 * i + k] / 255;
  return new ort.Tensor('float32', out, [1, h, w, 3]);
}

window.ortpeer = {
  async init(ep) {
    const opts = { executionProviders: [ep], graphOptimizationLevel: 'all' };
    predict = await ort.InferenceSession.create('../out/predict.onnx', opts);
    transform = await ort.InferenceSession.create('../out/transform.onnx', opts);
    return ep;
  },
  // One instant stylisation of the example pair at `size`: the style vectors of the photo and
  // the style image (as Easel computes both), then the transform; milliseconds of each, with
  // every output read back (as Easel's are).
  async run(size) {
    const photo = await pixels('../../www/examples/cat.jpg', { longest: size });
    const photoSquare = await pixels('../../www/examples/cat.jpg', { square: 256 });
    const styleSquare = await pixels('../../www/examples/swirls.jpg', { square: 256 });
    const t0 = performance.now();
    const own = (await predict.run({ [predict.inputNames[0]]: photoSquare }))[predict.outputNames[0]];
    const style = (await predict.run({ [predict.inputNames[0]]: styleSquare }))[predict.outputNames[0]];
    await own.getData(); const s = await style.getData();
    const t1 = performance.now();
    const out = (await transform.run({ [transform.inputNames[0]]: photo, [transform.inputNames[1]]: new ort.Tensor('float32', s, [1, 1, 1, 100]) }))[transform.outputNames[0]];
    await out.getData();
    const t2 = performance.now();
    return { size: `${photo.dims[2]}x${photo.dims[1]}`, predict_ms: t1 - t0, transform_ms: t2 - t1 };
  },
};
