// Easel's worker: runs the Rust/wasm side (training on WebGPU) so the page never freezes.
// It only relays messages; the logic is in Rust (src/web/ and the code it calls). Commands by
// concern: worker-gan.js and worker-style.js.
import init, { Session, settingsFields } from '../easel.js';
import { ctx, post, enqueue, fetchWithProgress } from './worker-core.js';
import { ganHandlers, pause } from './worker-gan.js';
import { styleHandlers, styleStop } from './worker-style.js';

const handlers = {
  async open({ forceCpu }) {
    const bytes = await fetchWithProgress(new URL('../easel_bg.wasm', import.meta.url), 'engine');
    await init({ module_or_path: bytes });
    ctx.session = await Session.open(!!forceCpu);
    post('ready', { backend: ctx.session.backend, note: ctx.session.note, fields: settingsFields() });
  },
  // A link's settings, checked field by field before the page takes them (no data set yet).
  async checkLink({ gan, style }) {
    post('linkChecked', { gan: ctx.session.validate(gan), style: ctx.session.styleValidate(style) });
  },
  ...ganHandlers,
  ...styleHandlers,
};

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
