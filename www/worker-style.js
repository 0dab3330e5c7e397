// The worker's style-transfer commands: the images, the feature network, the optimisation
// loop. The logic is in Rust (src/web/style.rs).
import { ctx, post, enqueue, errorText, fetchWithProgress, TARGET_MS, BUSY_TRAINING } from './worker-core.js';

let styleChunk = 1;
let lastOutput = { iteration: -1, time: 0 };
const OUTPUT_EVERY_ITERATIONS = 5;
const OUTPUT_EVERY_MS = 2000;

async function sendOutput() {
  const o = await ctx.session.styleOutput();
  post('styleOutput', { width: o.width, height: o.height, rgba: o.rgba }, [o.rgba.buffer]);
}

function styleTick() {
  if (!ctx.styleRunning) return;
  enqueue(async () => {
    if (!ctx.styleRunning) return;
    const t0 = performance.now();
    const r = await ctx.session.styleRun(styleChunk);
    const ms = performance.now() - t0;
    const n = r.stats.length;
    post('styleStats', { stats: r.stats, iteration: r.iteration, done: r.done, ms });
    if (n) styleChunk = Math.max(1, Math.min(32, Math.round(TARGET_MS / Math.max(ms / n, 1))));
    const now = performance.now();
    if (r.done || r.iteration - lastOutput.iteration >= OUTPUT_EVERY_ITERATIONS || now - lastOutput.time >= OUTPUT_EVERY_MS) {
      await sendOutput();
      lastOutput = { iteration: r.iteration, time: performance.now() };
    }
    if (r.done) { ctx.styleRunning = false; post('styleRunning', { running: false, done: true }); }
  }).then(() => setTimeout(styleTick, 0));
}

async function loadImage(role, name, bytes) {
  try {
    const r = ctx.session.loadStyleImage(role, bytes, 256);
    post('styleImage', { role, name, width: r.width, height: r.height, preview: r.preview }, [r.preview.rgba.buffer]);
  } catch (e) {
    post('styleImageError', { role, name, message: errorText(e) });
  }
}

export const styleHandlers = {
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
    post('styleValidated', { errors: ctx.session.styleValidate(values) });
  },
  clearSecondStyle() { ctx.session.clearSecondStyle(); },
  // Instant style: the style vectors not known yet, then one pass of the transformer. Timed
  // apart (each ends with a read-back, so the times are the work's, not just its queueing).
  async instantRun({ values }) {
    if (ctx.running) { post('styleError', { message: BUSY_TRAINING }); return; }
    try {
      if (!ctx.session.hasInstant) {
        const bytes = await fetchWithProgress(new URL('models/instant-style.safetensors', import.meta.url), 'instant style network (5 MB)', 'style');
        ctx.session.loadInstant(bytes);
      }
      const t0 = performance.now();
      const { predicted } = await ctx.session.instantPredict();
      const t1 = performance.now();
      const r = await ctx.session.instantRender(values);
      const t2 = performance.now();
      if (!r.ok) { post('instantOutput', { ok: false, errors: r.errors }); return; }
      post('instantOutput', { ok: true, width: r.width, height: r.height, rgba: r.rgba, predicted, predictMs: t1 - t0, transformMs: t2 - t1 }, [r.rgba.buffer]);
    } catch (e) { post('styleError', { message: errorText(e) }); }
  },
  async styleStart({ values, refine = false }) {
    if (ctx.running) { post('styleError', { message: BUSY_TRAINING }); return; }
    ctx.styleRunning = false;
    let r;
    try {
      if (!ctx.session.hasVgg) {
        const bytes = await fetchWithProgress(new URL('models/vgg16.safetensors', import.meta.url), 'feature network (VGG16)', 'style');
        ctx.session.loadVgg(bytes);
      }
      r = ctx.session.styleStart(values, refine);
    } catch (e) { post('styleError', { message: errorText(e) }); return; }
    post('styleConfigured', { ok: r.ok, errors: r.errors || [], width: r.width || 0, height: r.height || 0, iterations: r.iterations || 0 });
    if (!r.ok) return;
    styleChunk = 1;
    await sendOutput();
    lastOutput = { iteration: 0, time: performance.now() };
    ctx.styleRunning = true;
    post('styleRunning', { running: true });
    setTimeout(styleTick, 0);
  },
};

// Stop takes effect at once: the running chunk finishes and the result of that iteration is shown.
export function styleStop() {
  ctx.styleRunning = false;
  enqueue(async () => { await sendOutput().catch(() => {}); post('styleRunning', { running: false }); });
}
