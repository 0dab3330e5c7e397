// Easel's worker: runs the Rust/wasm side (training on WebGPU) so the page never freezes.
// It only relays messages; the logic is in Rust (src/web.rs and the code it calls).
import init, { Session } from '../easel.js';

let session = null;
let running = false;           // GAN training loop
let styleRunning = false;      // style-transfer loop (one job at a time on the GPU)
let queue = Promise.resolve();
let chunk = 1;                 // steps per call; adapted so a call takes ~TARGET_MS
let lastSample = { step: -1, time: 0, cost: 0 };
let lastStep = -1; // the step the last training chunk ended at
let dataName = null;           // what the loaded data set is ('mnist', 'fashion', 'own images (N)')
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

// Draws the grid and remembers the step it shows and when; returns how long it took (ms).
async function sendSamples() {
  const t0 = performance.now();
  const s = await session.samples();
  post('samples', {
    width: s.width, height: s.height, rgba: s.rgba, tile: s.tile, gap: s.gap, step: s.step,
    diversity: s.diversity, realDiversity: s.realDiversity,
  }, [s.rgba.buffer]);
  const t = performance.now();
  lastSample = { step: s.step, time: t, cost: lastSample.cost };
  return t - t0;
}

async function loadBuiltIn(name) {
  const bytes = await fetchWithProgress(new URL(`data/${name}.easelds.gz`, import.meta.url), name);
  const info = session.loadDataset(bytes, name);
  dataName = name;
  return info;
}

// The user's files, one at a time: sizes checked before reading, each decoded and prepared in
// Rust; progress every file.
async function addOwnImages(files, size, reset) {
  if (reset) session.imagesClear(size);
  let done = 0;
  for (const f of files) {
    const name = f.webkitRelativePath || f.name;
    const refused = session.imagesRefuseSize(f.size);
    if (refused) session.imagesSkip(name, refused);
    else {
      let bytes = null;
      try { bytes = new Uint8Array(await f.arrayBuffer()); }
      catch (e) { session.imagesSkip(name, `the browser could not read the file (${errorText(e)})`); }
      if (bytes) session.imagesAdd(name, bytes);
    }
    done++;
    post('ownProgress', { done, total: files.length, name });
  }
  const r = session.imagesFinish();
  if (r.ok) { dataName = r.name; running = false; }
  post('ownDataset', r, r.preview ? [r.preview.rgba.buffer] : []);
}

async function runChunk(steps, forceSamples = false) {
  const t0 = performance.now();
  const r = await session.train(steps);
  const ms = performance.now() - t0;
  lastStep = r.step;
  post('stats', { stats: r.stats, step: r.step, epoch: r.epoch, epochProgress: r.epochProgress, steps, ms }, [r.stats.buffer]);
  const now = performance.now();
  // The grid refreshes every 10 steps or 3 s, but never so often that drawing it (a G forward
  // of 64 and a read-back) takes more than a tenth of the training time on a slow device.
  const due = r.step - lastSample.step >= SAMPLE_EVERY_STEPS || now - lastSample.time >= SAMPLE_EVERY_MS;
  if (forceSamples || (due && now - lastSample.time >= 10 * lastSample.cost)) {
    lastSample.cost = await sendSamples();
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
    const info = await loadBuiltIn(name);
    post('dataset', { name, info });
  },
  async ownImages({ files, size, reset }) {
    running = false;
    if (styleRunning) { post('ownDataset', { ok: false, message: BUSY_STYLE, count: 0, skipped: [] }); return; }
    await addOwnImages(files, size, reset);
  },
  async ownUse() {
    // Back to the images collected earlier in this tab.
    running = false;
    const r = session.imagesFinish();
    if (r.ok) dataName = r.name;
    post('ownDataset', r, r.preview ? [r.preview.rgba.buffer] : []);
  },
  async ownClear({ size }) {
    session.imagesClear(size);
  },
  async validate({ values }) {
    post('validated', { errors: session.validate(values) });
  },
  async configure({ values, start }) {
    running = false;
    const r = session.configure(values);
    post('configured', { ok: r.ok, errors: r.errors || [], batchesPerEpoch: r.batchesPerEpoch || 0 });
    if (r.ok) {
      chunk = 1;
      await sendSamples();
      lastSample.cost = 0;
      lastStep = 0;
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
  async live({ values }) {
    post('live', { errors: session.setLive(values) });
  },
  async interpolate({ a, b }) {
    const s = await session.interpolate(a, b, 10);
    post('interpolated', { a, b, width: s.width, height: s.height, rgba: s.rgba }, [s.rgba.buffer]);
  },
  async resample({ i }) {
    session.resample(i);
    await sendSamples();
  },
  async checkpoint() {
    const bytes = await session.checkpoint();
    post('checkpoint', { bytes }, [bytes.buffer]);
  },
  async resumeFile({ file }) {
    running = false;
    if (styleRunning) { post('ckptError', { message: BUSY_STYLE }); return; }
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const info = session.checkpointInfo(bytes);
      // A built-in set is loaded for it; the user's own images must be added by the user.
      if (['mnist', 'fashion'].includes(info.data) && dataName !== info.data) {
        const d = await loadBuiltIn(info.data);
        post('dataset', { name: info.data, info: d, quiet: true });
      }
      const r = session.resume(bytes);
      post('resumed', { info: r, name: file.name });
      await sendSamples();
      lastSample.cost = 0;
      lastStep = r.step;
    } catch (e) {
      post('ckptError', { message: errorText(e), name: file.name });
    }
  },
  async timelapse() {
    const bytes = session.timelapse();
    post('timelapse', { bytes }, [bytes.buffer]);
  },
};

function styleFields(v) {
  return [v.size, v.content_weight, v.style_weight, v.tv_weight, v.iterations, v.init, !!v.keep_colors];
}

onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'styleStop') {
    styleRunning = false;
    enqueue(async () => { await sendOutput().catch(() => {}); post('styleRunning', { running: false }); });
    return;
  }
  if (msg.type === 'pause') {
    // Takes effect at once: the running chunk finishes, no new one starts. The Pause button
    // asks for the grid of the step it stopped at (refreshes are rate-limited while training).
    running = false;
    enqueue(async () => {
      if (msg.refresh && lastStep > lastSample.step) await sendSamples();
      post('running', { running: false });
    });
    return;
  }
  const h = handlers[msg.type];
  if (!h) { post('error', { message: `unknown command ${msg.type}` }); return; }
  if (msg.type === 'train') { h(msg); return; }
  enqueue(() => h(msg));
};

post('loaded');
