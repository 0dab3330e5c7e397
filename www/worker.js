// Easel's worker: runs the Rust/wasm side (training on WebGPU) so the page never freezes.
// It only relays messages; the logic is in Rust (src/web.rs and the code it calls).
import init, { Session } from '../easel.js';

let session = null;
let running = false;
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
  queue = queue.then(fn).catch((e) => { running = false; post('error', { message: errorText(e) }); });
  return queue;
}

async function fetchWithProgress(url, what) {
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
    post('progress', { what, got, total });
  }
  const out = new Uint8Array(got);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  post('progress', { what, got, total: got, done: true });
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
      if (start) { running = true; post('running', { running }); setTimeout(tick, 0); }
    }
  },
  async train() {
    running = true;
    post('running', { running });
    setTimeout(tick, 0);
  },
  async step() {
    running = false;
    // One step, one read-back of the grid (not a second one on top of the periodic refresh).
    await runChunk(1, true);
  },
  async lr({ lr_g, lr_d }) {
    session.setLearningRates(lr_g, lr_d);
    post('lr', { lr_g, lr_d });
  },
};

function fields(v) {
  return [v.model, v.batch_size, v.latent, v.lr_g, v.lr_d, v.beta1];
}

onmessage = (e) => {
  const msg = e.data;
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
