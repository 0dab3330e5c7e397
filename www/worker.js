// Easel's worker: runs the Rust/wasm side (training on WebGPU) so the page never freezes.
// It only relays messages; the logic is in Rust (src/web/ and the code it calls). Commands by
// concern: worker-gan.js and worker-style.js.
import { ctx, post, enqueue, fetchWithProgress, errorText } from './worker-core.js';
import { chooseBackend, cpuThreads } from './backend.js';
import { ganHandlers, pause } from './worker-gan.js';
import { styleHandlers, styleStop } from './worker-style.js';

const handlers = {
  // `selfcheck: 'corrupt'` (the page's ?selfcheck=corrupt) is the WebGPU self-check's test
  // hook: WebGPU is tried even on a software adapter, and the check is fed a wrong pixel.
  async open({ backend, selfcheck }) {
    const corrupt = selfcheck === 'corrupt';
    const forced = backend === 'webgpu';
    const choice = await chooseBackend(backend, corrupt);
    let session = null;
    let threads = 1, why = '';
    if (choice.webgpu) {
      session = await (await engine('../', 'engine')).Session.open(true, choice.note, forced, corrupt);
    }
    ctx.selfCheck = session ? session.selfCheck : null;
    if (!session || session.backend !== 'WebGPU') {
      // The CPU path: no WebGPU, or one that failed to start or gave wrong answers (the main
      // build's session is then already on the CPU, its note says why). Where the page may
      // use every core, the threaded build takes over with that note.
      const note = session ? session.note : choice.note;
      ({ threads, why } = cpuThreads());
      let threaded = null;
      if (threads > 1) {
        // The CPU-only build with a pool of workers sharing its memory (dist/threads/).
        try {
          threaded = await engine('../threads/', 'engine (threads)');
          await threaded.initThreadPool(threads);
        } catch (e) {
          threaded = null;
          why = `One thread: the threaded engine did not start (${errorText(e)}).`;
        }
      }
      if (threaded) {
        if (session) session.free();
        session = await threaded.Session.open(false, note, false, false);
      } else {
        threads = 1;
        const main = await engine('../', 'engine');
        if (!session) session = await main.Session.open(false, note, false, false);
      }
    }
    ctx.session = session;
    const cpu = session.backend !== 'WebGPU';
    const note = [session.note, cpu ? why : ''].filter(Boolean).join(' ');
    post('ready', { backend: session.backend, threads: cpu ? threads : 0, note, fields: ctx.engine.settingsFields(), selfCheck: ctx.selfCheck });
  },
  // A link's settings, checked field by field before the page takes them (no data set yet).
  async checkLink({ gan, style }) {
    post('linkChecked', { gan: ctx.session.validate(gan), style: ctx.session.styleValidate(style) });
  },
  ...ganHandlers,
  ...styleHandlers,
};

// Fetches (with progress) and starts one build of the engine, once: its module's exports,
// also kept as ctx.engine (the last one started is the one in use).
const started = {};
async function engine(dir, what) {
  if (!started[dir]) {
    const e = await import(new URL(`${dir}easel.js`, import.meta.url));
    const bytes = await fetchWithProgress(new URL(`${dir}easel_bg.wasm`, import.meta.url), what);
    await e.default({ module_or_path: bytes });
    started[dir] = e;
  }
  ctx.engine = started[dir];
  return ctx.engine;
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
