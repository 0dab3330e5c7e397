// The peer Easel is measured against: the same lesson DCGAN and the same Gatys losses, written
// the usual TF.js way (tf.layers models, optimizer.minimize), on TF.js's WebGPU, wasm or CPU
// backend. Loaded by bench/peer/index.html; bench/compare.mjs drives window.peer.
/* global tf */
'use strict';

const log = (s) => { document.getElementById('log').textContent += s + '\n'; };

// ---- data: the same MNIST file the page trains on ----
async function loadMnist() {
  const res = await fetch('../../dist/www/data/mnist.easelds.gz');
  const raw = new Uint8Array(await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  const u32 = (i) => new DataView(raw.buffer).getUint32(8 + 4 * i, true);
  const [count, c, h, w] = [u32(0), u32(1), u32(2), u32(3)];
  const pixels = raw.subarray(28 + count, 28 + count + count * c * h * w);
  const values = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) values[i] = pixels[i] / 127.5 - 1;
  return { count, tensor: tf.tensor4d(values, [count, h, w, c]) };   // NHWC
}

// ---- the lesson's DCGAN (shapes as Easel's src/model.rs) ----
const init = () => tf.initializers.randomNormal({ mean: 0, stddev: 0.02 });
function generator(latent) {
  const g = tf.sequential();
  g.add(tf.layers.reshape({ targetShape: [1, 1, latent], inputShape: [latent] }));
  for (const f of [256, 128, 64]) {   // 1 -> 3 -> 7 -> 15
    g.add(tf.layers.conv2dTranspose({ filters: f, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, kernelInitializer: init() }));
    g.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
    g.add(tf.layers.reLU());
  }
  // ConvT(64 -> 1, k3 s2, padding 2, output padding 1): the full 31x31 output, cropped to 28.
  g.add(tf.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'valid', kernelInitializer: init() }));
  g.add(tf.layers.cropping2D({ cropping: [[2, 1], [2, 1]] }));
  g.add(tf.layers.activation({ activation: 'tanh' }));
  return g;
}
function discriminator() {
  const d = tf.sequential();
  d.add(tf.layers.conv2d({ filters: 64, kernelSize: 4, strides: 2, padding: 'same', inputShape: [28, 28, 1], kernelInitializer: init() }));   // 14
  d.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  d.add(tf.layers.conv2d({ filters: 128, kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: init() }));   // 7
  d.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
  d.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  d.add(tf.layers.zeroPadding2d({ padding: 1 }));
  d.add(tf.layers.conv2d({ filters: 256, kernelSize: 4, strides: 2, padding: 'valid', useBias: false, kernelInitializer: init() }));   // 3
  d.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
  d.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  d.add(tf.layers.zeroPadding2d({ padding: 1 }));
  d.add(tf.layers.conv2d({ filters: 1, kernelSize: 4, strides: 2, padding: 'valid', kernelInitializer: init() }));   // 1
  d.add(tf.layers.flatten());
  return d;
}

const bce = (logits, label) => tf.losses.sigmoidCrossEntropy(tf.fill(logits.shape, label), logits);

let gan = null;
let gatys = null;

window.peer = {
  async init(backend) {
    if (backend === 'wasm') tf.wasm.setWasmPaths('../node_modules/@tensorflow/tfjs-backend-wasm/dist/');
    await tf.setBackend(backend);
    await tf.ready();
    log(`backend ${tf.getBackend()}`);
    return tf.getBackend();
  },

  async dcganSetup(batch, latent = 100) {
    const data = await loadMnist();
    const G = generator(latent), D = discriminator();
    const optG = tf.train.adam(2e-4, 0.5, 0.999, 1e-8), optD = tf.train.adam(2e-4, 0.5, 0.999, 1e-8);
    let order = [], pos = 0;
    const nextIdx = () => {
      if (pos + batch > order.length) {
        order = Array.from({ length: data.count }, (_, i) => i);
        for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
        pos = 0;
      }
      pos += batch;
      return order.slice(pos - batch, pos);
    };
    gan = { data, G, D, optG, optD, batch, latent, nextIdx, step: 0 };
    return { params: G.countParams() + D.countParams() };
  },

  // One iteration as the lesson does it: D on a real batch (1) and a generated one (0), then G
  // through D (1). Losses stay on the GPU; the caller reads the last one back.
  dcganStep() {
    const { data, G, D, optG, optD, batch, latent, nextIdx } = gan;
    return tf.tidy(() => {
      const real = tf.gather(data.tensor, tf.tensor1d(nextIdx(), 'int32'));
      const z = tf.randomNormal([batch, latent]);
      const fake = G.apply(z, { training: true });
      const dLoss = optD.minimize(() => tf.add(bce(D.apply(real, { training: true }), 1), bce(D.apply(fake, { training: true }), 0)), true, D.trainableWeights.map((w) => w.val));
      const gLoss = optG.minimize(() => bce(D.apply(G.apply(z, { training: true }), { training: true }), 1), true, G.trainableWeights.map((w) => w.val));
      gan.step++;
      return tf.stack([dLoss, gLoss]);
    });
  },

  // `n` steps, one read-back at the end; returns {ms, losses}.
  async dcganSteps(n) {
    const t0 = performance.now();
    let last = null;
    for (let i = 0; i < n; i++) { if (last) last.dispose(); last = this.dcganStep(); }
    const losses = Array.from(await last.data());
    last.dispose();
    return { ms: performance.now() - t0, losses, tensors: tf.memory().numTensors };
  },

  // ---- Gatys with the same VGG16 weights, layers and losses as Easel's src/style.rs ----
  async gatysSetup(size) {
    const buf = new Uint8Array(await (await fetch('../../dist/www/models/vgg16.safetensors')).arrayBuffer());
    const n = Number(new DataView(buf.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
    const base = 8 + n;
    const f16 = (h) => {
      const s = (h & 0x8000) ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
      if (e === 0) return s * m * 2 ** -24;
      if (e === 31) return m ? NaN : s * Infinity;
      return s * (1 + m / 1024) * 2 ** (e - 15);
    };
    const tensor = (name) => {
      const { dtype, shape, data_offsets: [a, b] } = header[name];
      if (dtype !== 'F16') throw new Error(`${name}: ${dtype}`);
      const view = new DataView(buf.buffer, base + a, b - a);
      const out = new Float32Array((b - a) / 2);
      for (let i = 0; i < out.length; i++) out[i] = f16(view.getUint16(2 * i, true));
      return tf.tensor(out, shape);
    };
    const convs = {};
    for (const name of ['conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1', 'conv3_2', 'conv3_3', 'conv4_1', 'conv4_2', 'conv4_3', 'conv5_1']) {
      const w = tensor(`${name}.weight`);            // OIHW
      convs[name] = { w: tf.transpose(w, [2, 3, 1, 0]), b: tensor(`${name}.bias`) };   // HWIO
      w.dispose();
    }
    const mean = tf.tensor([104.00699, 116.66877, 122.67892]);   // BGR
    const conv = (x, name) => tf.relu(tf.add(tf.conv2d(x, convs[name].w, 1, 'same'), convs[name].b));
    const pool = (x) => tf.maxPool(x, 2, 2, 'valid');
    const features = (rgb) => {   // [1, h, w, 3] in [0, 1]
      const x = tf.sub(tf.mul(tf.reverse(rgb, 3), 255), mean);
      const r11 = conv(x, 'conv1_1');
      const r21 = conv(pool(conv(r11, 'conv1_2')), 'conv2_1');
      const r31 = conv(pool(conv(r21, 'conv2_2')), 'conv3_1');
      const r41 = conv(pool(conv(conv(r31, 'conv3_2'), 'conv3_3')), 'conv4_1');
      const r42 = conv(r41, 'conv4_2');
      const r51 = conv(pool(conv(r42, 'conv4_3')), 'conv5_1');
      return { style: [r11, r21, r31, r41, r51], content: r42 };
    };
    const gram = (f) => {
      const [, h, w, c] = f.shape;
      const m = tf.reshape(f, [h * w, c]);
      return tf.div(tf.matMul(m, m, true, false), c * h * w);
    };
    const image = async (url, longest) => {
      const bmp = await createImageBitmap(await (await fetch(url)).blob());
      const s = longest / Math.max(bmp.width, bmp.height);
      const w = Math.round(bmp.width * s), h = Math.round(bmp.height * s);
      const c = new OffscreenCanvas(w, h);
      const ctx = c.getContext('2d');
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(bmp, 0, 0, w, h);
      return tf.tidy(() => tf.div(tf.browser.fromPixels(ctx.getImageData(0, 0, w, h)).toFloat().expandDims(0), 255));
    };
    const content = await image('../../dist/www/examples/cat.jpg', size);
    const style = await image('../../dist/www/examples/swirls.jpg', size);
    const targets = tf.tidy(() => {
      const cf = features(content), sf = features(style);
      const grams = sf.style.map(gram);
      return { content: cf.content, cnorm: tf.add(tf.mean(tf.square(cf.content)), 1e-8), grams, snorms: grams.map((g) => tf.add(tf.sum(tf.square(g)), 1e-8)) };
    });
    for (const t of [targets.content, targets.cnorm, ...targets.grams, ...targets.snorms]) tf.keep(t);
    const x = tf.variable(content.clone());
    const opt = tf.train.adam(0.02, 0.9, 0.999, 1e-8);
    const [cw, sw, tw] = [1, 10, 10];
    const loss = () => {
      const f = features(x);
      const c = tf.div(tf.mean(tf.square(tf.sub(f.content, targets.content))), targets.cnorm);
      let s = tf.scalar(0);
      f.style.forEach((feat, i) => { s = tf.add(s, tf.div(tf.sum(tf.square(tf.sub(gram(feat), targets.grams[i]))), targets.snorms[i])); });
      s = tf.div(s, 5);
      const [, h, w] = x.shape;
      const dy = tf.sub(tf.slice(x, [0, 1, 0, 0], [1, h - 1, w, 3]), tf.slice(x, [0, 0, 0, 0], [1, h - 1, w, 3]));
      const dx = tf.sub(tf.slice(x, [0, 0, 1, 0], [1, h, w - 1, 3]), tf.slice(x, [0, 0, 0, 0], [1, h, w - 1, 3]));
      const tv = tf.add(tf.mean(tf.square(dy)), tf.mean(tf.square(dx)));
      return tf.add(tf.add(tf.mul(c, cw), tf.mul(s, sw)), tf.mul(tv, tw));
    };
    gatys = { x, opt, loss, shape: x.shape };
    return { width: x.shape[2], height: x.shape[1] };
  },

  // `n` Gatys iterations (Adam on the image, clamped to [0, 1]); one read-back at the end.
  async gatysSteps(n) {
    const t0 = performance.now();
    let last = null;
    for (let i = 0; i < n; i++) {
      if (last) last.dispose();
      last = gatys.opt.minimize(gatys.loss, true, [gatys.x]);
      tf.tidy(() => gatys.x.assign(tf.clipByValue(gatys.x, 0, 1)));
    }
    const loss = (await last.data())[0];
    last.dispose();
    return { ms: performance.now() - t0, loss };
  },
};
