// The page's line to its Web Worker (www/worker.js), where the wasm trains: `send` a command,
// `listen` for the worker's messages by type.
const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
const handlers = {};

export const send = (type, data = {}, transfer = []) => worker.postMessage({ type, ...data }, transfer);

// Adds message handlers ({type: fn(message)}); each type has one handler.
export function listen(more) {
  for (const [type, fn] of Object.entries(more)) {
    if (handlers[type]) throw new Error(`two handlers for ${type}`);
    handlers[type] = fn;
  }
}

worker.onmessage = (e) => handlers[e.data.type]?.(e.data);
export const onWorkerError = (fn) => { worker.onerror = fn; };

// What the worker opened: 'WebGPU' or 'CPU' (null until it is ready).
export const session = { backend: null, selfCheck: null };
