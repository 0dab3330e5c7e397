// Training-throughput benchmark of the real page in headless Chromium (WebGPU; SwiftShader on
// machines without a GPU): the lesson DCGAN, batch 64, MNIST. Needs a built dist/.
//   node bench/run.mjs [--steps N] [--warmup N] [--batch N] [--model dcgan|tiny|dense] [--backend webgpu|cpu|auto]
//                      [--isolated 1|0] [--dist DIR]
// (--backend auto: the page's own choice; --isolated 0: served without the cross-origin
// isolation headers, so the CPU path runs one thread; --dist: another build of the page, e.g.
// the commit before a change, for a before/after pair).
// Prints one JSON line; add it to the table in bench/README.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { arg } from './args.mjs';
import { serve, CHROMIUM_ARGS } from '../tests/e2e/server.mjs';

const steps = Number(arg('steps', 10));
const warmup = Number(arg('warmup', 2));
const batch = Number(arg('batch', 64));
const model = arg('model', 'dcgan');
const backend = arg('backend', 'webgpu');

const root = path.resolve(import.meta.dirname, '..');
const dist = path.resolve(arg('dist', path.join(root, 'dist')));
const wasm = fs.readFileSync(path.join(dist, 'easel_bg.wasm'));
const srv = await serve(dist, { isolated: arg('isolated', '1') !== '0' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
const page = await browser.newPage();
await page.goto(srv.url + (backend === 'auto' ? '' : `?backend=${backend}`));
await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 300_000 });
await page.selectOption('#model', model);
await page.fill('#batch_size', String(batch));
await page.click('#train');
await page.waitForFunction((n) => window.easel.step >= n, warmup, { timeout: 1_800_000 });
const t0 = await page.evaluate(() => ({ step: window.easel.step, t: performance.now() }));
await page.waitForFunction((n) => window.easel.step >= n, warmup + steps, { timeout: 3_600_000 });
const t1 = await page.evaluate(() => ({ step: window.easel.step, t: performance.now() }));
await page.click('#pause');
const result = {
  date: new Date().toISOString().slice(0, 10),
  machine: `${os.cpus()[0].model.trim()} x${os.cpus().length}`,
  browser: await browser.version(),
  backend: await page.textContent('#backend'),
  model, batch, steps: t1.step - t0.step,
  img_per_s: +(((t1.step - t0.step) * batch) / ((t1.t - t0.t) / 1000)).toFixed(2),
  ms_per_step: +((t1.t - t0.t) / (t1.step - t0.step)).toFixed(1),
  wasm_bytes: wasm.length,
  wasm_gzip_bytes: zlib.gzipSync(wasm, { level: 9 }).length,
};
console.log(JSON.stringify(result));
await browser.close();
srv.server.close();
