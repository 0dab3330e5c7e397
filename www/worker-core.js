// What the worker's modules share: the wasm session, what runs, messages to the page, one
// queue for every call into the session, and downloads with progress.
export const ctx = {
  session: null,
  running: false,        // the GAN training loop
  styleRunning: false,   // the style-transfer loop (one job at a time on the GPU)
  dataName: null,        // what the loaded data set is ('mnist', 'fashion', 'own images (N)')
  engine: null,          // the wasm build's exports (the main one or the threaded one)
  selfCheck: null,       // the WebGPU self-check's {passed, details, ms}, or null if none ran
};

export const post = (type, data = {}, transfer = []) => postMessage({ type, ...data }, transfer);
export const errorText = (e) => (e && e.message) ? e.message : String(e);
// Steps or iterations per call are adapted so that a call takes about this long.
export const TARGET_MS = 150;

export const BUSY_TRAINING = 'A GAN is training in this tab, and the GPU does one job at a time: pause the training first.';
export const BUSY_STYLE = 'Style transfer is running in this tab, and the GPU does one job at a time: stop it first.';

let queue = Promise.resolve();
// Serialises every command that touches the session.
export function enqueue(fn) {
  queue = queue.then(fn).catch((e) => {
    const wasStyle = ctx.styleRunning;
    ctx.running = false; ctx.styleRunning = false;
    post(wasStyle ? 'styleError' : 'error', { message: errorText(e) });
  });
  return queue;
}

export async function fetchWithProgress(url, what, bar = 'data') {
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
