// The worker's GAN commands: data sets, your own images, the training loop, samples,
// checkpoints. The logic is in Rust (src/web/gan.rs, src/web/images.rs).
import { ctx, post, enqueue, errorText, fetchWithProgress, TARGET_MS, BUSY_STYLE } from './worker-core.js';

let chunk = 1;                 // steps per call; adapted so a call takes ~TARGET_MS
let lastSample = { step: -1, time: 0, cost: 0 };
let lastStep = -1;             // the step the last training chunk ended at
const SAMPLE_EVERY_STEPS = 10;
const SAMPLE_EVERY_MS = 3000;
// The Fréchet distance needs 512 samples through G and the classifier (most of a training
// step's work at batch 64): at most once every this many grid refreshes, and never more than
// 1/FD_SHARE of the time (measured: with 10 and 40, scoring took 4.9 % of the training time at
// batch 64 on the CPU path, too close to the 5 % allowed).
const FD_EVERY_REFRESHES = 20;
const FD_SHARE = 100;
let refreshes = 0;
let lastFd = { time: -Infinity, cost: 0 };
let judged = false;            // a classifier is loaded for the data set

// Draws the grid and remembers the step it shows and when; returns how long it took (ms).
async function sendSamples() {
  const t0 = performance.now();
  const s = await ctx.session.samples();
  post('samples', {
    width: s.width, height: s.height, rgba: s.rgba, tile: s.tile, gap: s.gap, cols: s.cols, step: s.step, averagedOver: s.averagedOver,
    diversity: s.diversity, realDiversity: s.realDiversity,
    quality: s.quality, classes: s.classes, confidences: s.confidences,
  }, [s.rgba.buffer]);
  if (judged && refreshes++ % FD_EVERY_REFRESHES === 0 && performance.now() - lastFd.time >= FD_SHARE * lastFd.cost) {
    const f0 = performance.now();
    post('fd', await ctx.session.frechet());
    lastFd = { time: performance.now(), cost: performance.now() - f0 };
  }
  const t = performance.now();
  lastSample = { step: s.step, time: t, cost: lastSample.cost };
  return t - t0;
}

async function loadBuiltIn(name) {
  const bytes = await fetchWithProgress(new URL(`data/${name}.easelds.gz`, import.meta.url), name);
  const info = ctx.session.loadDataset(bytes, name);
  ctx.dataName = name;
  judged = false;
  // The set's classifier (the quality chart): without it the page still trains, and says why.
  if (info.classifier) {
    try {
      const model = await fetchWithProgress(new URL(`models/${info.classifier}`, import.meta.url), 'the classifier');
      info.judge = await ctx.session.loadClassifier(model);
      judged = true;
    } catch (e) {
      info.judgeError = errorText(e);
    }
  }
  return info;
}

// The user's files, one at a time: sizes checked before reading, each decoded and prepared in
// Rust; progress every file.
async function addOwnImages(files, size, reset) {
  const session = ctx.session;
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
  finishOwn();
}

function finishOwn() {
  const r = ctx.session.imagesFinish();
  if (r.ok) { ctx.dataName = r.name; ctx.running = false; judged = false; }
  post('ownDataset', r, r.preview ? [r.preview.rgba.buffer] : []);
}

async function runChunk(steps, forceSamples = false) {
  const t0 = performance.now();
  const r = await ctx.session.train(steps);
  const ms = performance.now() - t0;
  lastStep = r.step;
  post('stats', { stats: r.stats, step: r.step, epoch: r.epoch, epochProgress: r.epochProgress, ms });
  // A loss became NaN or infinite: stop at once; the weights are lost until "Go back".
  if (r.diverged) {
    ctx.running = false;
    post('diverged', r.diverged);
    return ms;
  }
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
  if (!ctx.running) return;
  enqueue(async () => {
    if (!ctx.running) return;
    const ms = await runChunk(chunk);
    chunk = Math.max(1, Math.min(64, Math.round(chunk * TARGET_MS / Math.max(ms, 1))));
  }).then(() => setTimeout(tick, 0));
}

function start() {
  ctx.running = true;
  post('running', { running: true });
  setTimeout(tick, 0);
}

// After a new or resumed run: its grid, and the refresh clock from there.
async function freshGrid(step) {
  refreshes = 0;
  lastFd = { time: -Infinity, cost: 0 };
  await sendSamples();
  lastSample.cost = 0;
  lastStep = step;
}

export const ganHandlers = {
  async dataset({ name }) {
    ctx.running = false;
    const info = await loadBuiltIn(name);
    post('dataset', { name, info });
  },
  async ownImages({ files, size, reset }) {
    ctx.running = false;
    if (ctx.styleRunning) { post('ownDataset', { ok: false, message: BUSY_STYLE, count: 0, skipped: [] }); return; }
    await addOwnImages(files, size, reset);
  },
  // Back to the images collected earlier in this tab.
  async ownUse() {
    ctx.running = false;
    finishOwn();
  },
  async ownClear({ size }) { ctx.session.imagesClear(size); },
  async validate({ values }) { post('validated', { errors: ctx.session.validate(values) }); },
  async configure({ values, start: go }) {
    ctx.running = false;
    const r = ctx.session.configure(values);
    post('configured', { ok: r.ok, errors: r.errors || [], batchesPerEpoch: r.batchesPerEpoch || 0 });
    if (!r.ok) return;
    chunk = 1;
    await freshGrid(0);
    if (go && ctx.styleRunning) post('error', { message: BUSY_STYLE });
    else if (go) start();
  },
  // Not queued: takes effect at once, the loop queues the steps.
  train() {
    if (ctx.styleRunning) { post('error', { message: BUSY_STYLE }); post('running', { running: false }); return; }
    start();
  },
  async step() {
    ctx.running = false;
    if (ctx.styleRunning) { post('error', { message: BUSY_STYLE }); return; }
    // One step, one read-back of the grid (not a second one on top of the periodic refresh).
    await runChunk(1, true);
  },
  async live({ values }) { post('live', { errors: ctx.session.setLive(values) }); },
  // Back to the last good state kept in memory (after a divergence); the grid from there.
  async goBack() {
    ctx.running = false;
    const step = ctx.session.goBack();
    post('wentBack', { step });
    await freshGrid(step);
  },
  async interpolate({ a, b }) {
    const s = await ctx.session.interpolate(a, b, 10);
    post('interpolated', { a, b, width: s.width, height: s.height, rgba: s.rgba }, [s.rgba.buffer]);
  },
  async resample({ i }) {
    ctx.session.resample(i);
    await sendSamples();
  },
  async checkpoint() {
    const bytes = await ctx.session.checkpoint();
    post('checkpoint', { bytes }, [bytes.buffer]);
  },
  async resumeFile({ file }) {
    ctx.running = false;
    if (ctx.styleRunning) { post('ckptError', { message: BUSY_STYLE }); return; }
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const info = ctx.session.checkpointInfo(bytes);
      // A built-in set is loaded for it; the user's own images must be added by the user.
      if (['mnist', 'fashion'].includes(info.data) && ctx.dataName !== info.data) {
        const d = await loadBuiltIn(info.data);
        post('dataset', { name: info.data, info: d, quiet: true });
      }
      const r = ctx.session.resume(bytes);
      post('resumed', { info: r, name: file.name });
      await freshGrid(r.step);
    } catch (e) {
      post('ckptError', { message: errorText(e), name: file.name });
    }
  },
  async timelapse() {
    const bytes = ctx.session.timelapse();
    post('timelapse', { bytes }, [bytes.buffer]);
  },
};

// Pause takes effect at once: the running chunk finishes, no new one starts. The Pause button
// asks for the grid of the step it stopped at (refreshes are rate-limited while training).
export function pause({ refresh }) {
  ctx.running = false;
  enqueue(async () => {
    if (refresh && lastStep > lastSample.step) await sendSamples();
    post('running', { running: false });
  });
}
