// Easel's worker: runs the Rust/wasm side (training on WebGPU) so the page never freezes.
// It only relays messages; the logic is in Rust (src/web/ and the code it calls). Commands by
// concern: worker-gan.js and worker-style.js.
import { ctx, post, enqueue, fetchWithProgress, errorText } from './worker-core.js';
import { chooseBackend, cpuThreads } from './backend.js';
import { ganHandlers, pause } from './worker-gan.js';
import { styleHandlers, styleStop } from './worker-style.js';

const handlers = {
  async open({ backend }) {
    const choice = await chooseBackend(backend);
    let { threads, why } = choice.webgpu ? { threads: 1, why: '' } : cpuThreads();
    let engine = null;
    if (threads > 1) {
      // The CPU-only build with a pool of workers sharing its memory (dist/threads/).
      try {
        engine = await start('../threads/', 'engine (threads)');
        await engine.initThreadPool(threads);
      } catch (e) {
        engine = null;
        why = `One thread: the threaded engine did not start (${errorText(e)}).`;
      }
    }
    if (!engine) { threads = 1; engine = await start('../', 'engine'); }
    ctx.session = await engine.Session.open(choice.webgpu, choice.note);
    const cpu = ctx.session.backend !== 'WebGPU';
    const note = [ctx.session.note, cpu ? why : ''].filter(Boolean).join(' ');
    post('ready', { backend: ctx.session.backend, threads: cpu ? threads : 0, note, fields: engine.settingsFields() });
  },
  // A link's settings, checked field by field before the page takes them (no data set yet).
  async checkLink({ gan, style }) {
    post('linkChecked', { gan: ctx.session.validate(gan), style: ctx.session.styleValidate(style) });
  },
  ...ganHandlers,
  ...styleHandlers,
};

// Fetches (with progress) and starts one build of the engine: its module's exports.
async function start(dir, what) {
  const engine = await import(new URL(`${dir}easel.js`, import.meta.url));
  const bytes = await fetchWithProgress(new URL(`${dir}easel_bg.wasm`, import.meta.url), what);
  await engine.default({ module_or_path: bytes });
  return engine;
}

// Run at once, not queued: they only change what the loops do next.
const immediate = { pause, styleStop, train: ganHandlers.train };

onmessage = (e) => {
  const msg = e.data;
  if (immediate[msg.type]) { immediate[msg.type](msg); return; }
  const h = handlers[msg.type];
  if (!h) { post('error', { message: `unknown command ${msg.type}` }); return; }
  enqueue(() => h(msg));
};

post('loaded');
