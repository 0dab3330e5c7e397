// End-to-end test of the real page in headless Chromium on WebGPU (SwiftShader here).
// Needs a built dist/ (trunk build --release). Screenshots go to tests/e2e/out/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startPage, CHROMIUM_ARGS } from './server.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const out = path.join(root, 'tests/e2e/out');
const STEPS = Number(process.env.EASEL_E2E_STEPS || 20);
let srv, browser;

let env;
before(async () => { env = await startPage(root); ({ srv, browser } = env); });
after(async () => { await env?.close(); });

async function openPage(query = '') {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') problems.push(`worker: ${m.text()}`); }));
  await page.goto(srv.url + query);
  return { page, requests, problems };
}

const ui = (page, expr) => page.evaluate(`window.easel.${expr}`);

async function gridPixels(page) {
  return page.evaluate(() => {
    const c = document.getElementById('samples');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  });
}

test('the page trains the DCGAN on MNIST with WebGPU', { timeout: 15 * 60_000 }, async () => {
  // SwiftShader here: without ?backend=webgpu the page would choose the CPU path.
  const { page, requests, problems } = await openPage('?backend=webgpu');
  await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 240_000 });
  assert.equal(await page.textContent('#backend'), 'Backend: WebGPU');
  assert.equal(await page.isHidden('#backend-note'), true);

  // A bad value is refused next to its field; the page stays usable.
  await page.fill('#batch_size', 'lots');
  await page.waitForFunction(() => document.querySelector('.err[data-for="batch_size"]').textContent.length > 0);
  assert.match(await page.textContent('.err[data-for="batch_size"]'), /batch size must be/);
  await page.fill('#lr_d', '-1');
  await page.waitForFunction(() => document.querySelector('.err[data-for="lr_d"]').textContent.length > 0);
  await page.click('#train');
  await page.waitForFunction(() => document.getElementById('message').textContent.includes('Fix'));
  assert.equal(await ui(page, 'step'), 0);
  await page.fill('#batch_size', '8');
  await page.fill('#lr_d', '2e-4');
  await page.waitForFunction(() => document.querySelectorAll('.err:not(:empty)').length === 0);

  await page.click('#train');
  await page.waitForFunction(() => window.easel.samplesVersion >= 1, null, { timeout: 120_000 });
  const first = await gridPixels(page);
  await page.waitForFunction((n) => window.easel.step >= n, STEPS, { timeout: 12 * 60_000 });
  await page.waitForFunction((n) => window.easel.samplesStep >= 10, null, { timeout: 120_000 });

  // Charts have a point per step and every value is finite.
  const points = await ui(page, 'points');
  assert.ok(points.length >= STEPS, `only ${points.length} chart points`);
  for (const p of points) assert.ok(Object.values(p).every(Number.isFinite), `non-finite point ${JSON.stringify(p)}`);
  assert.ok(points.every((p) => p.d_real >= 0 && p.d_real <= 1 && p.d_fake >= 0 && p.d_fake <= 1));
  assert.ok(Number(await page.textContent('#ips')) > 0, 'images/s shown');

  // The sample grid is not blank and has changed since the first one.
  const later = await gridPixels(page);
  const grey = later.filter((_, i) => i % 4 === 0);
  const mean = grey.reduce((a, b) => a + b, 0) / grey.length;
  const variance = grey.reduce((a, b) => a + (b - mean) ** 2, 0) / grey.length;
  assert.ok(variance > 50, `sample grid looks blank (variance ${variance})`);
  const changed = later.filter((v, i) => v !== first[i]).length;
  assert.ok(changed > later.length / 20, `grid barely changed (${changed} values)`);

  // Pause stops the step counter.
  await page.click('#pause');
  await page.waitForFunction(() => window.easel.state === 'paused', null, { timeout: 120_000 });
  const paused = await ui(page, 'step');
  await page.waitForTimeout(3000);
  assert.equal(await ui(page, 'step'), paused, 'steps went on after Pause');
  assert.equal(await page.textContent('#step-count'), String(paused));

  // Save gives a PNG.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  const png = fs.readFileSync(await download.path());
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);

  await page.screenshot({ path: path.join(out, 'page-webgpu.png'), fullPage: true });

  // Nothing left the origin.
  const origin = new URL(srv.url).origin;
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(foreign, []);
  assert.deepEqual(problems, []);
  await page.close();
});

test('without a WebGPU adapter the page says so and trains on the CPU', { timeout: 10 * 60_000 }, async () => {
  // The same Chromium without --enable-unsafe-webgpu: navigator.gpu exists but gives no adapter.
  const plain = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu'),
  });
  try {
    const page = await plain.newPage({ viewport: { width: 1400, height: 900 } });
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(srv.url);
    await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 240_000 });
    assert.match(await page.textContent('#backend'), /^Backend: CPU \(wasm, \d+ threads?\)$/);
    assert.equal(await page.isVisible('#backend-note'), true);
    assert.match(await page.textContent('#backend-note'), /no usable GPU adapter.*CPU/);
    await page.selectOption('#model', 'dense');
    await page.fill('#batch_size', '8');
    await page.click('#step');
    await page.waitForFunction(() => window.easel.step >= 1, null, { timeout: 240_000 });
    await page.click('#step');
    await page.waitForFunction(() => window.easel.step >= 2, null, { timeout: 240_000 });
    const points = await ui(page, 'points');
    assert.equal(points.length, 2);
    assert.ok(points.every((p) => Object.values(p).every(Number.isFinite)));
    await page.waitForFunction(() => window.easel.samplesVersion >= 2);
    await page.screenshot({ path: path.join(out, 'page-cpu.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await plain.close();
  }
});

test('a link is an experiment: settings restored from a copied link, bad values refused beside their field', { timeout: 10 * 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
  const problems = [];
  context.on('page', (p) => p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`)));
  try {
    const page = await context.newPage();
    await page.goto(srv.url);
    await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 240_000 });
    // Three GAN settings and one of the Style tab, then the link.
    await page.fill('#lr_g', '1e-3');
    await page.fill('#latent', '64');
    await page.selectOption('#loss', 'lsgan');
    await page.click('#tab-style-btn');
    assert.equal(await page.isHidden('#style-tv_weight'), true, "Gatys' settings are hidden while the method is instant");
    await page.selectOption('#style-method', 'gatys');
    await page.fill('#style-tv_weight', '3');
    await page.click('#copy-link');
    await page.waitForFunction(() => document.getElementById('link-message').textContent.includes('copied'));
    const link = await page.evaluate(() => navigator.clipboard.readText());
    assert.ok(link.startsWith(srv.url + '#style&'), link);

    // A new page opened from the link has them all, on the tab it was copied from.
    const again = await context.newPage();
    await again.goto(link);
    await again.waitForFunction(() => window.easel.state === 'ready' && !window.easel.linkPending, null, { timeout: 240_000 });
    assert.equal(await again.inputValue('#lr_g'), '1e-3');
    assert.equal(await again.inputValue('#latent'), '64');
    assert.equal(await again.inputValue('#loss'), 'lsgan');
    assert.equal(await again.inputValue('#style-method'), 'gatys');
    assert.equal(await again.inputValue('#style-tv_weight'), '3');
    assert.equal(await again.isVisible('#style-tv_weight'), true, "the link's method shows its settings");
    assert.equal(await again.isVisible('#tab-style'), true);
    assert.equal(await again.isHidden('#link-message'), true, 'a good link needs no message');
    await again.close();

    // Bad values and an unknown key: each said beside its field, the default kept and trained with.
    const bad = await context.newPage();
    await bad.goto(`${srv.url}#train&data=fashion&batch_size=8&latent=lots&model=nope&zzz=1`);
    await bad.waitForFunction(() => window.easel.state === 'ready' && !window.easel.linkPending, null, { timeout: 240_000 });
    assert.match(await bad.textContent('.err[data-for="latent"]'), /"lots" was not used: latent size must be/);
    assert.match(await bad.textContent('.err[data-for="model"]'), /"nope" was not used: choose one of the models/);
    assert.equal(await bad.inputValue('#model'), 'tiny', "the data set's default model");
    assert.equal(await bad.inputValue('#latent'), '32', "the tiny DCGAN's default latent size");
    assert.equal(await bad.inputValue('#batch_size'), '8');
    assert.equal(await bad.inputValue('#dataset'), 'fashion');
    assert.match(await bad.textContent('#link-message'), /unknown setting zzz ignored; 2 values were refused/);
    await bad.click('#step');
    await bad.waitForFunction(() => window.easel.step >= 1, null, { timeout: 240_000 });
    const settings = await bad.evaluate(() => window.easel.settings.gan);
    assert.deepEqual([settings.latent, settings.model, settings.batch_size], ['32', 'tiny', '8']);
    // The address now holds what the page uses.
    assert.match(await bad.evaluate(() => location.hash), /latent=32.*/);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
