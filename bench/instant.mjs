// Instant style benchmark in one headless Chromium: Easel's page (its WebGPU path, SwiftShader
// on machines without a GPU, or its CPU path) against onnxruntime-web (wasm and WebGPU execution
// providers) running the same networks on the same images. Milliseconds per stylisation of the
// example pair, split into style prediction (the photo's and the style's vectors) and the
// transform, at each output size; the median of --repeat runs after one warm-up. Needs a built
// dist/, the peers (npm ci --prefix bench) and the float graphs
// (python3 tools/convert_instant.py --onnx bench/out).
//   node bench/instant.mjs [--sizes 256,512,1024] [--repeat 3] [--easel webgpu,cpu] [--ort wasm,webgpu]
// Prints one JSON line per (runner, size); add them to the table in bench/README.md.
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { arg } from './args.mjs';
import { serve, CHROMIUM_ARGS } from '../tests/e2e/server.mjs';

const sizes = arg('sizes', '256,512,1024').split(',').map(Number);
const repeat = Number(arg('repeat', 3));
const easelBackends = arg('easel', 'webgpu,cpu').split(',').filter(Boolean);
const ortProviders = arg('ort', 'wasm,webgpu').split(',').filter(Boolean);

const root = path.resolve(import.meta.dirname, '..');
const srv = await serve(root);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
const machine = `${os.cpus()[0].model.trim()} x${os.cpus().length}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (runner, adapter, size, runs) => console.log(JSON.stringify({
  date: new Date().toISOString().slice(0, 10), machine, browser: browser.version(), runner, adapter, size,
  predict_ms: +median(runs.map((r) => r.predict)).toFixed(0),
  transform_ms: +median(runs.map((r) => r.transform)).toFixed(0),
  total_ms: +median(runs.map((r) => r.predict + r.transform)).toFixed(0),
  runs: runs.length,
}));

for (const backend of easelBackends) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${srv.url}dist/index.html?backend=${backend}#style`);
  await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 300_000 });
  const adapter = await page.textContent('#backend');
  for (const size of sizes) {
    await page.fill('#style-size', String(size));
    const runs = [];
    for (let i = 0; i <= repeat; i++) {
      // The example pair again: both style vectors are predicted anew each run.
      await page.click('#style-example');
      await page.waitForFunction(() => window.easel.style.images.content && window.easel.style.images.style && window.easel.style.state !== 'starting', null, { timeout: 120_000 });
      await page.waitForTimeout(500);
      const v = await page.evaluate(() => window.easel.style.outputVersion);
      await page.click('#style-run');
      await page.waitForFunction((v) => window.easel.style.outputVersion > v && window.easel.style.state === 'done', v, { timeout: 3_600_000 });
      const r = await page.evaluate(() => window.easel.style.instant);
      if (r.predicted !== 2) throw new Error(`expected both vectors predicted, got ${r.predicted}`);
      if (i > 0) runs.push({ predict: r.predictMs, transform: r.transformMs });
    }
    const st = await page.evaluate(() => window.easel.style.instant);
    row('easel', adapter, `${st.width}x${st.height}`, runs);
  }
  await page.close();
}

for (const ep of ortProviders) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`ort ${ep}: ${e.message}`));
  await page.goto(`${srv.url}bench/peer/ort.html`);
  await page.waitForFunction(() => window.ortpeer);
  await page.evaluate((e) => window.ortpeer.init(e), ep);
  for (const size of sizes) {
    const runs = [];
    let got;
    for (let i = 0; i <= repeat; i++) {
      got = await page.evaluate((s) => window.ortpeer.run(s), size);
      if (i > 0) runs.push({ predict: got.predict_ms, transform: got.transform_ms });
    }
    row(`onnxruntime-web ${ep}`, ep === 'webgpu' ? 'WebGPU (same adapter)' : `wasm, ${os.cpus().length} threads`, got.size, runs);
  }
  await page.close();
}
await browser.close();
srv.server.close();
