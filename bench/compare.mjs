// Easel against its peers in one headless Chromium session, on the same data, alternating:
//   - the lesson DCGAN (batch 64, 28x28 MNIST): Easel's page vs the same DCGAN in TF.js on its
//     WebGPU backend and on its CPU backend (the no-WebGPU peer: TF.js 4.22's wasm backend has
//     no Conv2DBackpropFilter kernel, so it cannot train a convolutional GAN), and in jax-js
//     (bench/peer/jaxjs-dcgan.js: jit, wasm with a worker per core, or WebGPU); images/s, median;
//   - a Gatys iteration at 256 px (same VGG16 weights, layers and losses): Easel vs TF.js WebGPU;
//   - Easel's page: time from a cached load to the first trained step, the longest main-thread
//     stall while training, the release wasm's size raw and gzipped.
// Needs a built dist/ (trunk build --release) and the peers: npm ci --prefix bench.
//   node bench/compare.mjs [--rounds 3] [--steps 1] [--batch 64] [--gatys-rounds 2] [--skip dcgan,gatys]
//                          [--easel webgpu|cpu|auto] [--peers webgpu,cpu] [--warmup 2]
// (--peers: TF.js backends webgpu, cpu, and jax-js as jaxjs-wasm, jaxjs-wasm-lax, jaxjs-webgpu.)
// (--easel auto: the page's own choice, which here, on SwiftShader, is the CPU path on every
// core: the server sends the cross-origin isolation headers, as `trunk serve` does.)
// Prints a JSON summary (bench/out/compare-DATE-TIME.json) and the rows for bench/README.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { chromium } from 'playwright-core';
import { arg } from './args.mjs';
import { CHROMIUM_ARGS, ISOLATION } from '../tests/e2e/server.mjs';

const ROUNDS = Number(arg('rounds', 3)), STEPS = Number(arg('steps', 1)), BATCH = Number(arg('batch', 64));
// Untimed peer steps first: kernel compilation (jax-js compiles over its first two steps).
const JIT_WARMUP = Number(arg('warmup', 2));
const GATYS_ROUNDS = Number(arg('gatys-rounds', 2)), SKIP = (arg('skip', '') || '').split(',');
const EASEL = arg('easel', 'webgpu'), PEERS = arg('peers', 'webgpu,cpu').split(',');
const root = path.resolve(import.meta.dirname, '..');
const outDir = path.join(root, 'bench/out');
fs.mkdirSync(outDir, { recursive: true });
if (!fs.existsSync(path.join(root, 'dist/easel_bg.wasm'))) throw new Error('dist/ is missing: trunk build --release');
if (!fs.existsSync(path.join(root, 'bench/node_modules/@tensorflow/tfjs')) || !fs.existsSync(path.join(root, 'bench/node_modules/@jax-js/jax'))) throw new Error('TF.js or jax-js is missing: npm ci --prefix bench');

// The repository root over HTTP with ETags, so a reload is a cached load (304s), as in a browser
// revisiting the page.
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.jpg': 'image/jpeg', '.png': 'image/png' };
const server = http.createServer((req, res) => {
  const file = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404); res.end(); return; }
  const st = fs.statSync(file);
  const etag = `"${crypto.createHash('sha1').update(`${file}:${st.size}:${st.mtimeMs}`).digest('hex')}"`;
  if (req.headers['if-none-match'] === etag) { res.writeHead(304, { ETag: etag }); res.end(); return; }
  res.writeHead(200, {
    'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Content-Length': st.size, ETag: etag, 'Cache-Control': 'no-cache',
    ...ISOLATION,
  });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);

// Long main-thread tasks (> 50 ms) of the Easel page, recorded from the first paint on.
const LONGTASKS = `window.__longtasks = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true });`;

// ---------------- Easel's page ----------------
const easel = await browser.newContext();
await easel.addInitScript(LONGTASKS);
const ep = await easel.newPage();
await ep.goto(`${base}/dist/index.html${EASEL === 'auto' ? '' : `?backend=${EASEL}`}`);
await ep.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 300_000 });
await ep.selectOption('#model', 'dcgan');   // the lesson's DCGAN, the peers' model
await ep.fill('#batch_size', String(BATCH));
await ep.waitForFunction(() => document.querySelectorAll('.err:not(:empty)').length === 0);

async function easelSteps(n) {
  // Resume, time n steps between two statistics messages, pause.
  const start = await ep.evaluate(() => window.easel.step);
  await ep.click('#train');
  await ep.waitForFunction((s) => window.easel.step > s, start, { timeout: 3_600_000 });
  const a = await ep.evaluate(() => ({ step: window.easel.step, t: window.easel.lastStatsAt }));
  await ep.waitForFunction((s) => window.easel.step >= s, a.step + n, { timeout: 3_600_000 });
  const b = await ep.evaluate(() => ({ step: window.easel.step, t: window.easel.lastStatsAt }));
  await ep.click('#pause');
  await ep.waitForFunction(() => window.easel.state === 'paused', null, { timeout: 3_600_000 });
  return { steps: b.step - a.step, ms: b.t - a.t };
}

// ---------------- TF.js peers ----------------
async function peerPage(backend) {
  const p = await browser.newPage();
  p.on('pageerror', (e) => log(`peer ${backend} error: ${e.message}`));
  await p.goto(`${base}/bench/peer/index.html`);
  const got = await p.evaluate((b) => window.peer.init(b), backend);
  if (got !== backend) throw new Error(`TF.js gave backend ${got}, not ${backend}`);
  return p;
}

// jax-js peers, named jaxjs-DEVICE[-lax]: DEVICE is jax-js's wasm (a worker per core when the
// page is cross-origin isolated, as it is here) or webgpu; -lax uses jax-js's own convolutions,
// without it the peer lowers them to matmuls (bench/peer/jaxjs-dcgan.js says why). The same
// window.peer-like interface as the TF.js page.
async function jaxjsPage(name) {
  const [, device, lowering = 'matmul'] = name.split('-');
  const p = await browser.newPage();
  p.on('pageerror', (e) => log(`peer ${name} error: ${e.message}`));
  await p.goto(`${base}/bench/peer/jaxjs.html`);
  await p.waitForFunction(() => window.jaxpeerReady);
  const got = await p.evaluate((d) => window.jaxpeer.init(d), device);
  if (got !== device) throw new Error(`jax-js gave device ${got}, not ${device}`);
  return {
    dcganSetup: (batch) => p.evaluate(([b, l]) => window.jaxpeer.dcganSetup(b, l), [batch, lowering]),
    dcganSteps: (n) => p.evaluate((k) => window.jaxpeer.dcganSteps(k), n),
    close: () => p.close(),
  };
}

// A TF.js page behind the same three calls.
async function tfjsPeer(backend) {
  const p = await peerPage(backend);
  return {
    dcganSetup: (batch) => p.evaluate((b) => window.peer.dcganSetup(b), batch),
    dcganSteps: (n) => p.evaluate((k) => window.peer.dcganSteps(k), n),
    close: () => p.close(),
  };
}
const peerName = (b) => (b.startsWith('jaxjs-') ? b.replace('jaxjs-', 'jax-js ') : `TF.js ${b}`);

const results = { dcgan: {}, gatys: {} };
const peers = {};
if (!SKIP.includes('dcgan')) {
for (const b of PEERS) {
  peers[b] = b.startsWith('jaxjs-') ? await jaxjsPage(b) : await tfjsPeer(b);
  await peers[b].dcganSetup(BATCH);
}

// Warm-up (kernel compilation, autotune) for everyone, not timed.
log('warm-up');
await easelSteps(1);
for (const b of Object.keys(peers)) await peers[b].dcganSteps(JIT_WARMUP);

const ips = { easel: [], ...Object.fromEntries(PEERS.map((b) => [b, []])) };
for (let r = 0; r < ROUNDS; r++) {
  const e = await easelSteps(STEPS);
  ips.easel.push(e.steps * BATCH / (e.ms / 1000));
  log(`round ${r + 1}: Easel ${ips.easel.at(-1).toFixed(2)} img/s`);
  for (const b of Object.keys(peers)) {
    const p = await peers[b].dcganSteps(STEPS);
    ips[b].push(STEPS * BATCH / (p.ms / 1000));
    log(`round ${r + 1}: ${peerName(b)} ${ips[b].at(-1).toFixed(2)} img/s (losses ${p.losses.map((v) => v.toFixed(3))})`);
  }
}
for (const k of Object.keys(ips)) results.dcgan[k] = { runs: ips[k].map((v) => +v.toFixed(3)), median: +median(ips[k]).toFixed(3) };
const stalls = await ep.evaluate(() => window.__longtasks.filter(([t]) => t > window.easel.trainStartedAt));
results.easel_longest_stall_ms = stalls.length ? Math.max(...stalls.map(([, d]) => d)) : 0;
results.easel_long_tasks_while_training = stalls.length;
}

// ---------------- Gatys at 256 px ----------------
if (!SKIP.includes('gatys')) {
  for (const p of Object.values(peers)) await p.close();
  const gp = await peerPage('webgpu');
  const size = await gp.evaluate(() => window.peer.gatysSetup(256));
  await ep.click('#tab-style-btn');
  await ep.click('#style-example');
  await ep.waitForFunction(() => window.easel.style.images.content && window.easel.style.images.style, null, { timeout: 120_000 });
  await ep.selectOption('#style-method', 'gatys');
  await ep.fill('#style-iterations', '1000');
  // A fresh run: the time between the statistics of iteration 1 and iteration 1 + n (the first
  // iteration pays for the network upload and shader compilation), then Stop.
  async function easelGatys(n) {
    await ep.click('#style-run');
    await ep.waitForFunction(() => window.easel.style.state === 'running' && window.easel.style.iteration >= 1, null, { timeout: 3_600_000 });
    const a = await ep.evaluate(() => ({ it: window.easel.style.iteration, t: window.easel.style.lastStatsAt }));
    await ep.waitForFunction((s) => window.easel.style.iteration >= s, a.it + n, { timeout: 3_600_000 });
    const b = await ep.evaluate(() => ({ it: window.easel.style.iteration, t: window.easel.style.lastStatsAt }));
    await ep.click('#style-stop');
    await ep.waitForFunction(() => window.easel.style.state !== 'running', null, { timeout: 3_600_000 });
    return (b.t - a.t) / (b.it - a.it);
  }
  log('Gatys warm-up');
  await gp.evaluate(() => window.peer.gatysSteps(1));
  const ms = { easel: [], webgpu: [] };
  for (let r = 0; r < GATYS_ROUNDS; r++) {
    ms.easel.push(await easelGatys(1));
    log(`Gatys round ${r + 1}: Easel ${ms.easel.at(-1).toFixed(0)} ms/iteration`);
    const p = await gp.evaluate(() => window.peer.gatysSteps(1));
    ms.webgpu.push(p.ms);
    log(`Gatys round ${r + 1}: TF.js webgpu ${p.ms.toFixed(0)} ms/iteration (loss ${p.loss.toFixed(3)})`);
  }
  for (const k of Object.keys(ms)) results.gatys[k] = { runs: ms[k].map((v) => +v.toFixed(0)), median: +median(ms[k]).toFixed(0), size };
  await ep.click('#tab-train-btn');
}

// ---------------- cached load to the first trained step ----------------
await ep.reload();
await ep.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 300_000 });
const readyAt = await ep.evaluate(() => performance.now());
await ep.selectOption('#model', 'dcgan');   // the lesson's DCGAN, the peers' model
await ep.fill('#batch_size', String(BATCH));
await ep.click('#train');
await ep.waitForFunction(() => window.easel.step >= 1, null, { timeout: 3_600_000 });
const first = await ep.evaluate(() => ({ first: window.easel.firstStatsAt, ready: window.easel.readyAt }));
await ep.click('#pause');
results.cached_load = { ready_ms: +first.ready.toFixed(0), first_step_ms: +first.first.toFixed(0), polled_ready_ms: +readyAt.toFixed(0) };

const wasm = fs.readFileSync(path.join(root, 'dist/easel_bg.wasm'));
results.wasm = { raw: wasm.length, gzip: zlib.gzipSync(wasm, { level: 9 }).length };
results.machine = `${os.cpus()[0].model.trim()} x${os.cpus().length}`;
results.browser = await browser.version();
results.easel_backend = await ep.textContent('#backend');
results.adapter = await ep.evaluate(async () => { const a = await navigator.gpu?.requestAdapter(); return a ? `${a.info?.vendor || ''} ${a.info?.architecture || ''} ${a.info?.description || ''}`.trim() : 'none'; });
results.date = new Date().toISOString().slice(0, 10);
results.settings = { rounds: ROUNDS, steps: STEPS, batch: BATCH, gatys_rounds: GATYS_ROUNDS };
fs.writeFileSync(path.join(outDir, `compare-${new Date().toISOString().slice(0, 16).replace(':', '')}.json`), JSON.stringify(results, null, 2));
console.log(JSON.stringify(results, null, 2));
await browser.close();
server.close();
