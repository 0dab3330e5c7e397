// Easel's worker: runs the Rust/wasm side (training on WebGPU) so the page never freezes.
// It only relays messages; the logic is in Rust (src/web.rs and the code it calls).
import init, { Session } from '../easel.js';

let session = null;
let running = false;           // GAN training loop
let styleRunning = false;      // style-transfer loop (one job at a time on the GPU)
let queue = Promise.resolve();
let chunk = 1;                 // steps per call; adapted so a call takes ~TARGET_MS
let lastSample = { step: -1, time: 0 };
const TARGET_MS = 150;
const SAMPLE_EVERY_STEPS = 10;
const SAMPLE_EVERY_MS = 3000;

const post = (type, data = {}, transfer = []) => postMessage({ type, ...data }, transfer);
const errorText = (e) => (e && e.message) ? e.message : String(e);

// Serialise every command that touches the session.
function enqueue(fn) {
  queue = queue.then(fn).catch((e) => {
    const wasStyle = styleRunning;
    running = false; styleRunning = false;
    post(wasStyle ? 'styleError' : 'error', { message: errorText(e) });
  });
  return queue;
}

async function fetchWithProgress(url, what, bar = 'data') {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${what}: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || 0;
  const reader = res.body.getReader();
  const parts = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    post('progress', { what, got, total, bar });
  }
  const out = new Uint8Array(got);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  post('progress', { what, got, total: got, done: true, bar });
  return out;
}

async function sendSamples() {
  const s = await session.samples();
  post('samples', { width: s.width, height: s.height, rgba: s.rgba }, [s.rgba.buffer]);
}

async function runChunk(steps, forceSamples = false) {
  const t0 = performance.now();
  const r = await session.train(steps);
  const ms = performance.now() - t0;
  post('stats', { stats: r.stats, step: r.step, epoch: r.epoch, epochProgress: r.epochProgress, steps, ms }, [r.stats.buffer]);
  const now = performance.now();
  if (forceSamples || r.step - lastSample.step >= SAMPLE_EVERY_STEPS || now - lastSample.time >= SAMPLE_EVERY_MS) {
    await sendSamples();
    lastSample = { step: r.step, time: performance.now() };
  }
  return ms;
}

function tick() {
  if (!running) return;
  enqueue(async () => {
    if (!running) return;
    const ms = await runChunk(chunk);
    chunk = Math.max(1, Math.min(64, Math.round(chunk * TARGET_MS / Math.max(ms, 1))));
  }).then(() => setTimeout(tick, 0));
}

// ---------- style transfer ----------
let styleChunk = 1;
let lastOutput = { iteration: -1, time: 0 };
const OUTPUT_EVERY_ITERATIONS = 5;
const OUTPUT_EVERY_MS = 2000;

async function sendOutput() {
  const o = await session.styleOutput();
  post('styleOutput', { width: o.width, height: o.height, rgba: o.rgba }, [o.rgba.buffer]);
}

function styleTick() {
  if (!styleRunning) return;
  enqueue(async () => {
    if (!styleRunning) return;
    const t0 = performance.now();
    const r = await session.styleRun(styleChunk);
    const ms = performance.now() - t0;
    const n = r.stats.length / 4;
    post('styleStats', { stats: r.stats, iteration: r.iteration, done: r.done, n, ms }, [r.stats.buffer]);
    if (n) styleChunk = Math.max(1, Math.min(32, Math.round(TARGET_MS / Math.max(ms / n, 1))));
    const now = performance.now();
    if (r.done || r.iteration - lastOutput.iteration >= OUTPUT_EVERY_ITERATIONS || now - lastOutput.time >= OUTPUT_EVERY_MS) {
      await sendOutput();
      lastOutput = { iteration: r.iteration, time: performance.now() };
    }
    if (r.done) { styleRunning = false; post('styleRunning', { running: false, done: true }); }
  }).then(() => setTimeout(styleTick, 0));
}

async function loadImage(role, name, bytes) {
  try {
    const r = session.loadStyleImage(role, bytes, 256);
    post('styleImage', { role, name, width: r.width, height: r.height, preview: r.preview }, [r.preview.rgba.buffer]);
  } catch (e) {
    post('styleImageError', { role, name, message: errorText(e) });
  }
}

const BUSY_TRAINING = 'A GAN is training in this tab, and the GPU does one job at a time: pause the training first.';
const BUSY_STYLE = 'Style transfer is running in this tab, and the GPU does one job at a time: stop it first.';

const handlers = {
  async open({ forceCpu }) {
    const bytes = await fetchWithProgress(new URL('../easel_bg.wasm', import.meta.url), 'engine');
    await init({ module_or_path: bytes });
    session = await Session.open(!!forceCpu);
    post('ready', { backend: session.backend, note: session.note });
  },
  async dataset({ name }) {
    running = false;
    const bytes = await fetchWithProgress(new URL(`data/${name}.easelds.gz`, import.meta.url), name);
    const info = session.loadDataset(bytes);
    post('dataset', { name, info });
  },
  async validate({ values }) {
    post('validated', { errors: session.validate(...fields(values)) });
  },
  async configure({ values, start }) {
    running = false;
    const r = session.configure(...fields(values));
    post('configured', { ok: r.ok, errors: r.errors || [], batchesPerEpoch: r.batchesPerEpoch || 0 });
    if (r.ok) {
      chunk = 1;
      await sendSamples();
      lastSample = { step: 0, time: performance.now() };
      if (start && styleRunning) post('error', { message: BUSY_STYLE });
      else if (start) { running = true; post('running', { running }); setTimeout(tick, 0); }
    }
  },
  async train() {
    if (styleRunning) { post('error', { message: BUSY_STYLE }); post('running', { running: false }); return; }
    running = true;
    post('running', { running });
    setTimeout(tick, 0);
  },
  async step() {
    running = false;
    if (styleRunning) { post('error', { message: BUSY_STYLE }); return; }
    // One step, one read-back of the grid (not a second one on top of the periodic refresh).
    await runChunk(1, true);
  },
  async styleImage({ role, name, bytes }) {
    await loadImage(role, name, new Uint8Array(bytes));
  },
  async styleExample() {
    for (const [role, file] of [['content', 'cat.jpg'], ['style', 'swirls.jpg']]) {
      let bytes;
      try { bytes = await fetchWithProgress(new URL(`examples/${file}`, import.meta.url), file, 'style'); }
      catch (e) { post('styleImageError', { role, name: file, message: errorText(e) }); continue; }
      await loadImage(role, file, bytes);
    }
  },
  async styleValidate({ values }) {
    post('styleValidated', { errors: session.styleValidate(...styleFields(values)) });
  },
  async styleStart({ values }) {
    if (running) { post('styleError', { message: BUSY_TRAINING }); return; }
    styleRunning = false;
    let r;
    try {
      if (!session.hasVgg) {
        const bytes = await fetchWithProgress(new URL('models/vgg16.safetensors', import.meta.url), 'feature network (VGG16)', 'style');
        session.loadVgg(bytes);
      }
      r = session.styleStart(...styleFields(values));
    } catch (e) { post('styleError', { message: errorText(e) }); return; }
    post('styleConfigured', { ok: r.ok, errors: r.errors || [], width: r.width || 0, height: r.height || 0, iterations: r.iterations || 0 });
    if (!r.ok) return;
    styleChunk = 1;
    await sendOutput();
    lastOutput = { iteration: 0, time: performance.now() };
    styleRunning = true;
    post('styleRunning', { running: true });
    setTimeout(styleTick, 0);
  },
  async lr({ lr_g, lr_d }) {
    session.setLearningRates(lr_g, lr_d);
    post('lr', { lr_g, lr_d });
  },
};

function styleFields(v) {
  return [v.size, v.content_weight, v.style_weight, v.tv_weight, v.iterations, v.init, !!v.keep_colors];
}

function fields(v) {
  return [v.model, v.batch_size, v.latent, v.lr_g, v.lr_d, v.beta1];
}

onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'styleStop') {
    styleRunning = false;
    enqueue(async () => { await sendOutput().catch(() => {}); post('styleRunning', { running: false }); });
    return;
  }
  if (msg.type === 'pause') {
    // Takes effect at once: the running chunk finishes, no new one starts.
    running = false;
    enqueue(async () => post('running', { running: false }));
    return;
  }
  const h = handlers[msg.type];
  if (!h) { post('error', { message: `unknown command ${msg.type}` }); return; }
  if (msg.type === 'train') { h(msg); return; }
  enqueue(() => h(msg));
};

post('loaded');
