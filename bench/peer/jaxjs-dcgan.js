// The lesson's DCGAN in jax-js (npm @jax-js/jax): Easel's in-browser peer with a JIT compiler
// and a threaded wasm backend. The same shapes, losses and optimiser as bench/peer/jax_dcgan.py
// (the native JAX peer) and Easel's src/model.rs; NCHW, as jax-js's convolutions are.
//   G: ConvT 3x3 s2 z -> 256 -> 128 -> 64 -> 1 (1 -> 3 -> 7 -> 15 -> 31, cropped to 28),
//      BatchNorm + ReLU, tanh.
//   D: Conv 4x4 s2 p1 1 -> 64 -> 128 -> 256 -> 1 (28 -> 14 -> 7 -> 3 -> 1), BatchNorm on the
//      middle two, LeakyReLU 0.2.
// One jitted function a step: D on real (1) and generated (0), then G through the updated D (1);
// BCE on logits, Adam lr 2e-4, beta1 0.5.
//
// jax-js counts references: every function takes ownership of the arrays passed to it, so a
// value used again later is passed as `x.ref`. Here each function takes its parameters as a
// tree, uses `p.name.ref` for every use, and disposes the tree once at the end.
import { jit, lax, nn, numpy as np, random, tree, valueAndGrad } from '../node_modules/@jax-js/jax/dist/index.js';

const normal = (key, shape) => random.normal(key, shape).mul(0.02);

export function initParams(seed, latent) {
  const k = [...random.split(random.key(seed), 8)];
  const key = (i) => k[i];
  const bn = (c) => ({ gamma: np.ones([c]), beta: np.zeros([c]) });
  const g = {
    ct1: normal(key(0), [latent, 256, 3, 3]), bn1: bn(256),
    ct2: normal(key(1), [256, 128, 3, 3]), bn2: bn(128),
    ct3: normal(key(2), [128, 64, 3, 3]), bn3: bn(64),
    ct4: normal(key(3), [64, 1, 3, 3]), b4: np.zeros([1]),
  };
  const d = {
    c1: normal(key(4), [64, 1, 4, 4]), b1: np.zeros([64]),
    c2: normal(key(5), [128, 64, 4, 4]), bn2: bn(128),
    c3: normal(key(6), [256, 128, 4, 4]), bn3: bn(256),
    c4: normal(key(7), [1, 256, 4, 4]), b4: np.zeros([1]),
  };
  return { g, d };
}

const channel = (v) => v.reshape([1, -1, 1, 1]);

// Training-mode BatchNorm over (N, H, W); consumes x and the two vectors.
function batchNorm(x, { gamma, beta }) {
  const mean = x.ref.mean([0, 2, 3], { keepdims: true });
  const centred = x.sub(mean);
  const variance = centred.ref.mul(centred.ref).mean([0, 2, 3], { keepdims: true });
  return centred.div(np.sqrt(variance.add(1e-5))).mul(channel(gamma)).add(channel(beta));
}

// The two convolutions, written two ways: 'lax' is jax-js's own convolution (the idiomatic
// program); 'matmul' lowers each to one matrix product (im2col / col2im by reshapes, slices and
// pads), because jax-js's wasm backend runs convolutions as direct loops, ~60x slower than its
// tiled SIMD matmul (measured: 0.32 vs 20.7 GFLOP/s, one thread). Both give the same numbers.
let lowering = 'lax';
export const setConvLowering = (how) => { lowering = how; };

// ConvTranspose 3x3 stride 2, no padding (out = 2 * in + 1); kernel [C_in, C_out, 3, 3].
function convT(x, w) {
  if (lowering === 'lax') return lax.convTranspose(x, w, [2, 2], 'VALID', { transposeKernel: true });
  const [n, c, h, wd] = x.shape, o = w.shape[1];
  // cols[n, i, j, o, ki, kj] = sum_c x[n, c, i, j] w[c, o, ki, kj]
  const cols = np.matmul(x.transpose([0, 2, 3, 1]).reshape([n * h * wd, c]), w.reshape([c, o * 9]))
    .reshape([n, h, wd, o, 3, 3]).transpose([0, 3, 4, 5, 1, 2]);   // [n, o, ki, kj, h, w]
  // out[2i + ki, 2j + kj] += cols[ki, kj, i, j]: with ki = 2a + b, row 2(i + a) + b, so each tap
  // is a pad by a rows and lands in the parity-b plane of a [h + 1, 2, w + 1, 2] layout.
  const planes = [[null, null], [null, null]];
  for (let ki = 0; ki < 3; ki++) for (let kj = 0; kj < 3; kj++) {
    const [a, b, e, f] = [ki >> 1, ki & 1, kj >> 1, kj & 1];
    const tap = np.pad(cols.ref.slice([], [], ki, kj), [[0, 0], [0, 0], [a, 1 - a], [e, 1 - e]]);
    planes[b][f] = planes[b][f] ? planes[b][f].add(tap) : tap;
  }
  cols.dispose();
  const rows = [0, 1].map((b) => np.stack([planes[b][0], planes[b][1]], -1));   // [n, o, h+1, w+1, 2]
  return np.stack(rows, 3).reshape([n, o, 2 * h + 2, 2 * wd + 2]).slice([], [], [0, 2 * h + 1], [0, 2 * wd + 1]);
}

// Conv 4x4 stride 2 padding 1 (out = in / 2, floored); kernel [C_out, C_in, 4, 4].
function conv(x, w) {
  if (lowering === 'lax') return lax.convGeneralDilated(x, w, [2, 2], [[1, 1], [1, 1]]);
  const [n, c, h, wd] = x.shape, o = w.shape[0];
  const [ho, wo] = [Math.floor(h / 2), Math.floor(wd / 2)];
  // Padded to an even size and split by parity: input row 2(a + i) + b is xr[.., a + i, b, ..].
  const [hp, wp] = [2 * ho + 2, 2 * wo + 2];
  const xr = np.pad(x, [[0, 0], [0, 0], [1, hp - h - 1], [1, wp - wd - 1]]).reshape([n, c, hp / 2, 2, wp / 2, 2]);
  const taps = [];
  for (let ki = 0; ki < 4; ki++) for (let kj = 0; kj < 4; kj++) {
    const [a, b, e, f] = [ki >> 1, ki & 1, kj >> 1, kj & 1];
    taps.push(xr.ref.slice([], [], [a, a + ho], b, [e, e + wo], f));   // [n, c, ho, wo]
  }
  xr.dispose();
  const patches = np.stack(taps, 2).transpose([0, 3, 4, 1, 2]).reshape([n * ho * wo, c * 16]);
  const out = np.matmul(patches, w.reshape([o, c * 16]).transpose());
  return out.reshape([n, ho, wo, o]).transpose([0, 3, 1, 2]);
}

export function generator(g, z) {
  let x = z.reshape([z.shape[0], -1, 1, 1]);
  for (const i of [1, 2, 3]) {
    const bn = g[`bn${i}`];
    x = nn.relu(batchNorm(convT(x, g[`ct${i}`].ref), { gamma: bn.gamma.ref, beta: bn.beta.ref }));
  }
  x = convT(x, g.ct4.ref).add(channel(g.b4.ref));   // [N, 1, 31, 31]
  tree.dispose(g);
  return np.tanh(x.slice([], [], [2, 30], [2, 30]));
}

export function discriminator(d, x) {
  const bn = (name) => ({ gamma: d[name].gamma.ref, beta: d[name].beta.ref });
  x = nn.leakyRelu(conv(x, d.c1.ref).add(channel(d.b1.ref)), 0.2);
  x = nn.leakyRelu(batchNorm(conv(x, d.c2.ref), bn('bn2')), 0.2);
  x = nn.leakyRelu(batchNorm(conv(x, d.c3.ref), bn('bn3')), 0.2);
  const logits = conv(x, d.c4.ref).add(channel(d.b4.ref)).reshape([-1]);
  tree.dispose(d);
  return logits;
}

// Binary cross-entropy on logits, the numerically stable form.
function bce(logits, label) {
  const stable = np.maximum(logits.ref, 0).sub(logits.ref.mul(label));
  return stable.add(np.log1p(np.exp(np.absolute(logits).neg()))).mean();
}

// Adam with bias correction; consumes all its arguments, returns [params, m, v].
function adam(params, grads, m, v, t, { lr = 2e-4, b1 = 0.5, b2 = 0.999, eps = 1e-8 } = {}) {
  const m2 = tree.map((mi, gi) => mi.mul(b1).add(gi.mul(1 - b1)), m, tree.ref(grads));
  const v2 = tree.map((vi, gi) => vi.mul(b2).add(gi.ref.mul(gi).mul(1 - b2)), v, grads);
  const scale = np.sqrt(np.power(b2, t.ref).neg().add(1)).div(np.power(b1, t).neg().add(1)).mul(lr);
  const p2 = tree.map((p, mi, vi) => p.sub(mi.mul(scale.ref).div(np.sqrt(vi).add(eps))), params, tree.ref(m2), tree.ref(v2));
  scale.dispose();
  return [p2, m2, v2];
}

// One training step: state {g, d, gm, gv, dm, dv, t}; returns [state, dLoss, gLoss].
export const trainStep = jit((state, real, z) => {
  const { g, d, gm, gv, dm, dv } = state;
  const t = state.t.add(1);
  const fake = lax.stopGradient(generator(tree.ref(g), z.ref));

  // (1) Update D: real images are labelled 1, generated ones 0.
  const dLossFn = (dp) => bce(discriminator(tree.ref(dp), real), 1).add(bce(discriminator(dp, fake), 0));
  const [dLoss, dGrads] = valueAndGrad(dLossFn)(tree.ref(d));
  const [d2, dm2, dv2] = adam(d, dGrads, dm, dv, t.ref);

  // (2) Update G: generated images through the updated D, labelled 1.
  const gLossFn = (gp) => bce(discriminator(tree.ref(d2), generator(gp, z)), 1);
  const [gLoss, gGrads] = valueAndGrad(gLossFn)(tree.ref(g));
  const [g2, gm2, gv2] = adam(g, gGrads, gm, gv, t.ref);
  return [{ g: g2, d: d2, gm: gm2, gv: gv2, dm: dm2, dv: dv2, t }, dLoss, gLoss];
});

export function initState(seed, latent) {
  const { g, d } = initParams(seed, latent);
  const zeros = (p) => tree.map((x) => np.zerosLike(x), tree.ref(p));
  return { g, d, gm: zeros(g), gv: zeros(g), dm: zeros(d), dv: zeros(d), t: np.array(0) };
}

// The dataset as one [count, 1, 28, 28] array in [-1, 1], from Easel's .easelds bytes.
export function datasetArray(raw) {
  const u32 = (i) => new DataView(raw.buffer, raw.byteOffset).getUint32(8 + 4 * i, true);
  const [count, c, h, w] = [u32(0), u32(1), u32(2), u32(3)];
  const pixels = raw.subarray(28 + count, 28 + count + count * c * h * w);
  const values = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) values[i] = pixels[i] / 127.5 - 1;
  return { count, images: np.array(values).reshape([count, c, h, w]) };
}

// A trainer over the dataset: batches drawn by shuffled epochs, noise from jax-js's PRNG.
export function trainer(data, { batch = 64, latent = 100, seed = 1 } = {}) {
  let state = initState(seed, latent);
  let key = random.key(seed + 1000);
  let order = [], pos = 0;
  const nextIndices = () => {
    if (pos + batch > order.length) {
      order = Array.from({ length: data.count }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
      pos = 0;
    }
    pos += batch;
    return order.slice(pos - batch, pos);
  };
  return {
    // n steps, one read-back at the end; returns {ms, losses}.
    async steps(n) {
      const t0 = performance.now();
      let losses = null;
      for (let i = 0; i < n; i++) {
        const real = data.images.ref.slice(np.array(nextIndices(), { dtype: np.int32 }));
        const [k1, k2] = random.split(key, 2);
        key = k1;
        const z = random.normal(k2, [batch, latent]);
        let dLoss, gLoss;
        [state, dLoss, gLoss] = trainStep(state, real, z);
        if (losses) tree.dispose(losses);
        losses = [dLoss, gLoss];
      }
      const values = [await losses[0].jsAsync(), await losses[1].jsAsync()];
      return { ms: performance.now() - t0, losses: values };
    },
    params: () => tree.ref(state),
  };
}
