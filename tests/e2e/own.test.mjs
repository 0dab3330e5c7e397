// The lesson's assignment on the real page (WebGPU on SwiftShader here): a folder of your own
// images with bad files in it, the colour DCGAN at 32 px, the balancing tricks changed while
// it trains, the mode-collapse meter, the latent walk, a timelapse, a checkpoint saved, the page
// reloaded and the run resumed; then checkpoints from the native CLI, good and mismatched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startPage } from './server.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const out = path.join(root, 'tests/e2e/out');
const folder = path.join(root, 'tests/data/own');
let env;
before(async () => { env = await startPage(root); });
after(async () => { await env?.close(); });

const ui = (page, expr) => page.evaluate(`window.easel.${expr}`);
const waitFor = (page, fn, arg, timeout = 240_000) => page.waitForFunction(fn, arg, { timeout });

async function gridPixels(page) {
  return page.evaluate(() => Array.from(window.easel.grid.rgba.data));
}

// The safetensors header: 8-byte little-endian length, then JSON.
function header(bytes) {
  const n = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
}

function cli(args) {
  return execFileSync('cargo', ['run', '-q', '--locked', '--bin', 'easel-cli', '--', ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function addFolder(page) {
  await page.selectOption('#dataset', 'own');
  await waitFor(page, () => window.easel.state === 'nodata');
  await page.setInputFiles('#folder-own', folder);
  await waitFor(page, () => window.easel.state === 'ready' && window.easel.own.count > 0);
}

test('own images: folder with bad files, colour DCGAN, tricks, walk, timelapse, checkpoint, reload, resume', { timeout: 25 * 60_000 }, async () => {
  const page = await env.browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const problems = [], requests = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') problems.push(`worker: ${m.text()}`); }));
  await page.goto(env.srv.url);
  await waitFor(page, () => window.easel.state === 'ready');

  // ---- the folder: 40 sunsets taken, 4 bad files reported with their reasons ----
  await addFolder(page);
  assert.equal(await ui(page, 'own.count'), 40);
  const skipped = (await ui(page, 'own.skipped')).map((s) => [s.name, s.why]).sort();
  assert.deepEqual(skipped.map((s) => s[0]), ['own/broken.png', 'own/huge.png', 'own/more/empty.jpg', 'own/notes.txt']);
  const why = Object.fromEntries(skipped);
  assert.match(why['own/notes.txt'], /not an image/);
  assert.match(why['own/huge.png'], /30000 x 30000.*limit/);
  assert.match(why['own/broken.png'], /corrupt or truncated/);
  assert.match(why['own/more/empty.jpg'], /empty/);
  assert.match(await page.textContent('#own-summary'), /40 images ready at 32×32, 4 skipped/);
  assert.equal(await page.isVisible('#own-skipped-box'), true);
  assert.match(await page.textContent('#own-skipped'), /own\/notes\.txt: not an image/);
  assert.equal(await page.inputValue('#model'), 'dcgan32');
  const preview = await page.evaluate(() => {
    const c = document.getElementById('own-preview');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lo = 255, hi = 0;
    for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
    return { w: c.width, h: c.height, lo, hi };
  });
  assert.ok(preview.w > 200 && preview.h > 100 && preview.hi - preview.lo > 100, JSON.stringify(preview));
  // The grey DCGAN does not fit colour 32 px images: said beside the field.
  await page.selectOption('#model', 'dcgan');
  await waitFor(page, () => document.querySelector('.err[data-for="model"]').textContent.includes('1x28x28'));
  await page.selectOption('#model', 'dcgan32');

  // ---- train colour 32 px with flip and label smoothing ----
  await page.fill('#batch_size', '8');
  await page.check('#flip');
  await page.fill('#real_label', '0.9');
  await waitFor(page, () => document.querySelectorAll('#setup .err:not(:empty)').length === 0);
  await page.click('#train');
  await waitFor(page, () => window.easel.step >= 2, null, 600_000);
  // Tricks while it trains: a bad value is refused beside its field, a good one applies.
  await page.fill('#d_steps', '0');
  await waitFor(page, () => document.querySelector('.err[data-for="d_steps"]').textContent.includes('1 to 10'));
  await page.fill('#d_steps', '1');
  await page.fill('#lr_g', '1e-4');
  await waitFor(page, () => document.getElementById('message').textContent.includes('Changed for the running training'));
  // Skip D below 10: D's loss is always below, so every further D step is skipped and counted.
  await page.fill('#skip_d_below', '10');
  await waitFor(page, () => window.easel.skipped >= 1, null, 600_000);
  await page.fill('#skip_d_below', '0');
  const s0 = await ui(page, 'step');
  await waitFor(page, (n) => window.easel.step >= n + 1 && window.easel.samplesStep >= 1, s0, 600_000);
  await page.click('#pause');
  await waitFor(page, () => window.easel.state === 'paused', null, 300_000);
  // Paused, the grid shows the step it stopped at (refreshes are rate-limited while training).
  assert.equal(await ui(page, 'samplesStep'), await ui(page, 'step'));
  assert.match(await page.textContent('#samples-step'), new RegExp(`samples at step ${await ui(page, 'step')} `));
  assert.ok(Number(await page.textContent('#skipped-count')) >= 1);
  const points = await ui(page, 'points');
  assert.ok(points.length >= 3);
  for (const p of points) assert.ok(Object.values(p).every(Number.isFinite), `non-finite ${JSON.stringify(p)}`);
  // The mode-collapse meter: samples' diversity and the real data's, both in (0, 2].
  const div = await ui(page, 'diversity');
  assert.ok(div.length >= 2, `${div.length} diversity points`);
  for (const [, d, r] of div) assert.ok(d > 0 && d <= 2 && r > 0.2 && r <= 2, `${d} ${r}`);
  // No classifier for the user's images: the quality chart says why instead of drawing.
  assert.equal(await page.isHidden('#quality-box'), true);
  assert.match(await page.textContent('#quality-help'), /No quality chart for your own images: .*no labels/);
  assert.deepEqual(await ui(page, 'quality'), []);

  // ---- latent walk between two samples, and new noise for one ----
  const box = await page.locator('#samples').boundingBox();
  const tileAt = (i) => ({ x: box.width * ((i % 8) + 0.5) / 8, y: box.height * (Math.floor(i / 8) + 0.5) / 8 });
  await page.click('#samples', { position: tileAt(0) });
  await page.click('#samples', { position: tileAt(63) });
  assert.deepEqual(await ui(page, 'selected'), [0, 63]);
  await waitFor(page, () => window.easel.interpVersion >= 1, null, 300_000);
  const strip = await page.evaluate(() => [document.getElementById('interp').width, document.getElementById('interp').height]);
  assert.ok(strip[0] > 300 && strip[1] >= 32, `strip ${strip}`);
  const before = await gridPixels(page);
  const v = await ui(page, 'samplesVersion');
  await page.click('#resample');
  await waitFor(page, (n) => window.easel.samplesVersion > n, v, 300_000);
  const { tile, gap } = await ui(page, 'grid');
  const afterResample = await gridPixels(page);
  const width = 8 * tile + 9 * gap;
  const tileDiff = (a, b, i) => {
    let sum = 0;
    const x0 = gap + (i % 8) * (tile + gap), y0 = gap + Math.floor(i / 8) * (tile + gap);
    for (let y = y0; y < y0 + tile; y++) for (let x = x0; x < x0 + tile; x++) sum += Math.abs(a[(y * width + x) * 4] - b[(y * width + x) * 4]);
    return sum / (tile * tile);
  };
  const changed = tileDiff(before, afterResample, 63), other = tileDiff(before, afterResample, 20);
  assert.ok(changed > 2 * other + 1, `resampled tile changed ${changed}, another ${other}`);

  // ---- timelapse GIF ----
  const [gif] = await Promise.all([page.waitForEvent('download'), page.click('#timelapse')]);
  const gifBytes = fs.readFileSync(await gif.path());
  assert.equal(gifBytes.subarray(0, 6).toString('latin1'), 'GIF89a');

  // ---- checkpoint ----
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 300_000 }), page.click('#ckpt-save')]);
  const ckpt = path.join(os.tmpdir(), `easel-e2e-${process.pid}.safetensors`);
  fs.copyFileSync(await dl.path(), ckpt);
  const saved = { step: await ui(page, 'step'), grid: await gridPixels(page) };
  const h = header(fs.readFileSync(ckpt));
  assert.equal(h.__metadata__.format, 'easel-gan-checkpoint');
  assert.equal(h.__metadata__.version, '2');
  const settings = JSON.parse(h.__metadata__.settings);
  assert.equal(settings.setup.model, 'dcgan32');
  assert.equal(settings.live.flip, true);
  assert.equal(settings.live.real_label, 0.9);
  assert.equal(settings.live.lr_g, 0.0001);
  assert.equal(Number(h.__metadata__.step), saved.step);
  assert.deepEqual(h['generator.first.weight'].shape, [100, 256, 4, 4]);
  assert.ok(h['optimizer.discriminator.first.weight.exp_avg_sq']);
  await page.screenshot({ path: path.join(out, 'page-own-images.png'), fullPage: true });

  // ---- reload, add the images again, a bad checkpoint, then resume ----
  // The page's address holds the settings: the reload keeps them and asks for your images again.
  await page.reload();
  await waitFor(page, () => window.easel.state === 'nodata');
  assert.equal(await page.inputValue('#dataset'), 'own');
  assert.equal(await page.inputValue('#real_label'), '0.9');
  await addFolder(page);
  await page.setInputFiles('#ckpt-file', path.join(folder, 'sunset001.png'));
  await waitFor(page, () => document.getElementById('ckpt-message').classList.contains('error'));
  assert.match(await page.textContent('#ckpt-message'), /sunset001\.png: this is not an Easel GAN checkpoint/);
  assert.equal(await ui(page, 'state'), 'ready', 'a bad checkpoint changed the state');
  const v1 = await ui(page, 'samplesVersion');
  await page.setInputFiles('#ckpt-file', ckpt);
  await waitFor(page, (n) => window.easel.state === 'paused' && window.easel.samplesVersion > n, v1, 300_000);
  assert.equal(await ui(page, 'step'), saved.step);
  assert.equal(await page.textContent('#step-count'), String(saved.step));
  assert.equal(await page.inputValue('#real_label'), '0.9');
  assert.equal(await page.isChecked('#flip'), true);
  const resumed = await gridPixels(page);
  let diff = 0;
  for (let i = 0; i < resumed.length; i++) diff += Math.abs(resumed[i] - saved.grid[i]);
  assert.ok(diff / resumed.length < 2, `samples after resuming differ by ${diff / resumed.length} on average`);
  await page.click('#step');
  await waitFor(page, (n) => window.easel.step === n + 1, saved.step, 300_000);

  // ---- checkpoints from the native CLI: one the page resumes, one that does not fit ----
  const cli32 = path.join(os.tmpdir(), `easel-cli32-${process.pid}.safetensors`);
  const cli64 = path.join(os.tmpdir(), `easel-cli64-${process.pid}.safetensors`);
  cli(['train', '--data', folder, '--size', '32', '--steps', '2', '--batch', '8', '--checkpoint', cli32]);
  cli(['train', '--data', folder, '--size', '64', '--steps', '1', '--batch', '4', '--checkpoint', cli64]);
  await page.setInputFiles('#ckpt-file', cli64);
  await waitFor(page, () => document.getElementById('ckpt-message').classList.contains('error'));
  assert.match(await page.textContent('#ckpt-message'), /trained on 3x64x64 images \(own images \(40\)\); the loaded data set has 3x32x32/);
  const v2 = await ui(page, 'samplesVersion');
  await page.setInputFiles('#ckpt-file', cli32);
  await waitFor(page, (n) => window.easel.samplesVersion > n && window.easel.step === 2, v2, 300_000);
  await page.click('#step');
  await waitFor(page, () => window.easel.step === 3, null, 300_000);
  for (const f of [ckpt, cli32, cli64]) fs.rmSync(f, { force: true });

  const origin = new URL(env.srv.url).origin;
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), []);
  assert.deepEqual(problems, []);
  await page.close();
});
