// What one training step asks of the GPU, counted in the page's worker: queue submissions,
// buffer read-backs (mapAsync), uploads (writeBuffer, bytes), buffers created, compute
// dispatches, and pipelines/shader modules compiled. The WebGPU calls are wrapped by a few
// lines put in front of www/worker.js as it is served (the page itself is not changed).
//   node bench/gpu-calls.mjs [--steps 6] [--warmup 2] [--batch 8] [--model dcgan]
// Needs a built dist/. Prints one JSON line (per-step figures over the measured steps).
import path from 'node:path';
import { chromium } from 'playwright-core';
import { arg } from './args.mjs';
import { serve, CHROMIUM_ARGS } from '../tests/e2e/server.mjs';

const steps = Number(arg('steps', 6));
const warmup = Number(arg('warmup', 2));
const batch = Number(arg('batch', 8));
const model = arg('model', 'dcgan');

const PRELUDE = `{
const C = self.__gpuCalls = { submit: 0, mapAsync: 0, writeBuffer: 0, writeBytes: 0, createBuffer: 0,
  bufferBytes: 0, destroyed: 0, dispatch: 0, pipelines: 0, shaderModules: 0, posts: {} };
const wrap = (proto, name, f) => { const o = proto[name]; proto[name] = function (...a) { f(a); return o.apply(this, a); }; };
wrap(GPUQueue.prototype, 'submit', () => C.submit++);
wrap(GPUBuffer.prototype, 'mapAsync', () => C.mapAsync++);
wrap(GPUQueue.prototype, 'writeBuffer', (a) => {
  C.writeBuffer++;
  const d = a[2], per = d.BYTES_PER_ELEMENT || 1;
  C.writeBytes += a[4] !== undefined ? a[4] * per : d.byteLength - (a[3] || 0) * per;
});
wrap(GPUDevice.prototype, 'createBuffer', (a) => { C.createBuffer++; C.bufferBytes += a[0].size; });
wrap(GPUBuffer.prototype, 'destroy', () => C.destroyed++);
wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', () => C.dispatch++);
wrap(GPUDevice.prototype, 'createComputePipeline', () => C.pipelines++);
wrap(GPUDevice.prototype, 'createComputePipelineAsync', () => C.pipelines++);
wrap(GPUDevice.prototype, 'createShaderModule', () => C.shaderModules++);
const post = self.postMessage.bind(self);
self.postMessage = (m, t) => { if (m && m.type) C.posts[m.type] = (C.posts[m.type] || 0) + 1; return post(m, t); };
}
`;

const root = path.resolve(import.meta.dirname, '..');
const srv = await serve(path.join(root, 'dist'));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
const page = await browser.newPage();
await page.route('**/www/worker.js', async (route) => {
  const res = await route.fetch();
  await route.fulfill({ response: res, body: PRELUDE + (await res.text()) });
});
const workers = [];
page.on('worker', (w) => { workers.push(w); w.on('console', (m) => console.error('[worker]', m.text())); });
page.on('console', (m) => { if (m.type() === 'error') console.error('[page]', m.text()); });
page.on('pageerror', (e) => console.error('[pageerror]', e.message));
// SwiftShader here: the page would choose the CPU path without ?backend=webgpu.
await page.goto(srv.url + '?backend=webgpu');
await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 60_000 });
const worker = workers.find((w) => w.url().endsWith('/www/worker.js'));
const counts = () => worker.evaluate(() => JSON.parse(JSON.stringify(self.__gpuCalls)));
if (!(await counts())) throw new Error('the counting prelude did not run in the worker');
await page.selectOption('#model', model);
await page.fill('#batch_size', String(batch));
await page.click('#train');
await page.waitForFunction((n) => window.easel.step >= n, warmup, { timeout: 1_800_000 });
// Between two stats messages, so whole chunks are counted.
const snap = async () => ({ step: await page.evaluate(() => window.easel.step), c: await counts() });
const a = await snap();
await page.waitForFunction((n) => window.easel.step >= n, a.step + steps, { timeout: 3_600_000 });
const b = await snap();
await page.click('#pause');
const n = b.step - a.step;
const per = (k) => +((b.c[k] - a.c[k]) / n).toFixed(2);
const posts = (k) => (b.c.posts[k] || 0) - (a.c.posts[k] || 0);
console.log(JSON.stringify({
  model, batch, steps: n, backend: await page.textContent('#backend'),
  per_step: {
    submissions: per('submit'), readbacks: per('mapAsync'), uploads: per('writeBuffer'),
    upload_bytes: per('writeBytes'), buffers_created: per('createBuffer'), buffer_bytes_created: per('bufferBytes'), buffers_destroyed: per('destroyed'),
    dispatches: per('dispatch'), pipelines_compiled: per('pipelines'), shader_modules: per('shaderModules'),
  },
  chunks: posts('stats'), grid_refreshes: posts('samples'),
  warmup_totals: { pipelines: a.c.pipelines, shader_modules: a.c.shaderModules, buffers: a.c.createBuffer, buffer_bytes: a.c.bufferBytes, destroyed: a.c.destroyed },
}));
await browser.close();
srv.server.close();
