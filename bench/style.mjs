// Style-transfer benchmark of the real page in headless Chromium (WebGPU; SwiftShader on
// machines without a GPU): milliseconds per Gatys iteration on the example pair (the cat photo
// and the swirls), at each output size asked. Needs a built dist/.
//   node bench/style.mjs [--sizes 256,512] [--iterations N] [--warmup N] [--backend webgpu|cpu|auto] [--isolated 1|0] [--dist DIR]
// Prints one JSON line per size; add them to the table in bench/README.md.
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { arg } from './args.mjs';
import { serve, CHROMIUM_ARGS } from '../tests/e2e/server.mjs';

const sizes = arg('sizes', '256,512').split(',').map(Number);
const iterations = Number(arg('iterations', 5));
const warmup = Number(arg('warmup', 1));
const backend = arg('backend', 'webgpu');

const root = path.resolve(import.meta.dirname, '..');
const srv = await serve(path.resolve(arg('dist', path.join(root, 'dist'))), { isolated: arg('isolated', '1') !== '0' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(srv.url + (backend === 'auto' ? '' : `?backend=${backend}`) + '#style');
await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 300_000 });
await page.click('#style-example');
await page.waitForFunction(() => window.easel.style.images.content && window.easel.style.images.style, null, { timeout: 120_000 });
await page.selectOption('#style-method', 'gatys');
for (const size of sizes) {
  await page.fill('#style-size', String(size));
  await page.fill('#style-iterations', String(warmup + iterations));
  await page.click('#style-run');
  await page.waitForFunction((n) => window.easel.style.state === 'running' && window.easel.style.iteration >= n, warmup, { timeout: 3_600_000 });
  const t0 = await page.evaluate(() => ({ it: window.easel.style.iteration, t: performance.now() }));
  await page.waitForFunction(() => window.easel.style.state === 'done', null, { timeout: 7_200_000 });
  const t1 = await page.evaluate(() => ({ it: window.easel.style.iteration, t: performance.now() }));
  const st = await page.evaluate(() => ({ w: window.easel.style.width, h: window.easel.style.height }));
  console.log(JSON.stringify({
    date: new Date().toISOString().slice(0, 10),
    machine: `${os.cpus()[0].model.trim()} x${os.cpus().length}`,
    browser: await browser.version(),
    backend: await page.textContent('#backend'),
    size: `${st.w}x${st.h}`,
    iterations: t1.it - t0.it,
    ms_per_iteration: +((t1.t - t0.t) / (t1.it - t0.it)).toFixed(1),
  }));
}
await browser.close();
srv.server.close();
