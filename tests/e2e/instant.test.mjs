// End-to-end test of instant style in headless Chromium on WebGPU (SwiftShader here): the
// example pair repainted at a small size, strength re-rendering, a second style blended in,
// Refine with Gatys starting from the instant image, a bad file keeping the image before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPage } from './server.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const out = path.join(root, 'tests/e2e/out');
const images = path.join(root, 'tests/data/images');
let env;
before(async () => { env = await startPage(root); });
after(async () => { await env?.close(); });

const pixels = (page, id) => page.evaluate((id) => {
  const c = document.getElementById(id);
  return { w: c.width, h: c.height, data: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data) };
}, id);

// Mean absolute difference of two RGBA arrays over R, G and B.
function meanDiff(a, b) {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) { d += Math.abs(a[i] - b[i]); n++; }
  return d / n;
}

// Moves a slider the way a person's drag does (input events).
const slide = (page, id, value) => page.$eval(id, (el, v) => { el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); }, String(value));

const rendered = (page, after) => page.waitForFunction(
  (v) => window.easel.style.outputVersion > v && window.easel.style.state === 'done', after, { timeout: 300_000 });

test('instant style: the example pair repainted, strength and a second style re-render, Refine with Gatys starts from it', { timeout: 15 * 60_000 }, async () => {
  const page = await env.browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const problems = [], requests = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') problems.push(`worker: ${m.text()}`); }));
  // The smallest useful size; two Gatys iterations for the refine.
  await page.goto(env.srv.url + '?backend=webgpu#style&style-size=64&style-iterations=2');
  await page.waitForFunction(() => window.easel.state === 'ready' && !window.easel.linkPending, null, { timeout: 240_000 });
  assert.equal(await page.inputValue('#style-method'), 'instant', 'instant is the default');
  assert.equal(await page.isVisible('#style-strength'), true);
  assert.equal(await page.isHidden('#style-iterations'), true);
  await page.click('#style-example');
  await page.waitForFunction(() => window.easel.style.images.content && window.easel.style.images.style, null, { timeout: 120_000 });
  assert.equal(await page.isDisabled('#style-refine'), true, 'nothing to refine yet');

  await page.click('#style-run');
  await rendered(page, 0);
  const first = await pixels(page, 'style-output');
  // 451 x 300 -> 64 x 43.
  assert.deepEqual([first.w, first.h], [64, 43]);
  const st = await page.evaluate(() => window.easel.style.instant);
  assert.equal(st.predicted, 2, 'the photo\'s and the style\'s vectors');
  assert.ok(st.predictMs > 0 && st.transformMs > 0);
  assert.match(await page.textContent('#style-message'), /Repainted at 64×43/);
  // Not blank, and not the photo: compare with the photo drawn at the same size.
  const photo = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 64; c.height = 43;
    c.getContext('2d').drawImage(document.getElementById('preview-content'), 0, 0, 64, 43);
    return Array.from(c.getContext('2d').getImageData(0, 0, 64, 43).data);
  });
  let sum = 0, sq = 0, n = 0;
  first.data.forEach((v, i) => { if (i % 4 !== 3) { sum += v; sq += v * v; n++; } });
  assert.ok(sq / n - (sum / n) ** 2 > 100, 'output looks blank');
  const styledDiff = meanDiff(first.data, photo);
  assert.ok(styledDiff > 10, `output is close to the photo (${styledDiff})`);

  // Strength 0: repainted at once, without predicting again, and much closer to the photo.
  let version = await page.evaluate(() => window.easel.style.outputVersion);
  await slide(page, '#style-strength', 0);
  await rendered(page, version);
  assert.equal(await page.evaluate(() => window.easel.style.instant.predicted), 0, 'strength re-renders without the predictor');
  const weak = await pixels(page, 'style-output');
  assert.ok(meanDiff(weak.data, photo) < styledDiff * 0.7, `strength 0 is not closer to the photo: ${meanDiff(weak.data, photo)} vs ${styledDiff}`);
  await slide(page, '#style-strength', 1);
  version = await page.evaluate(() => window.easel.style.outputVersion);
  await page.click('#style-run');
  await rendered(page, version);

  // A bad second style file is refused and nothing changes; a good one blends in.
  await page.setInputFiles('#file-second', path.join(images, 'truncated.png'));
  await page.waitForFunction(() => document.getElementById('err-second').textContent.includes('corrupt or truncated'), null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => window.easel.style.images.second), undefined);
  await page.setInputFiles('#file-second', path.join(images, 'palette.gif'));
  await page.waitForFunction(() => window.easel.style.images.second?.name === 'palette.gif', null, { timeout: 60_000 });
  assert.equal(await page.isVisible('#clear-second'), true);
  version = await page.evaluate(() => window.easel.style.outputVersion);
  await page.click('#style-run');
  await rendered(page, version);
  assert.equal(await page.evaluate(() => window.easel.style.instant.predicted), 1, 'only the new image is predicted');
  const blended = await pixels(page, 'style-output');
  assert.ok(meanDiff(blended.data, first.data) > 2, 'blending a second style changed nothing');

  // Refine with Gatys: the method switches, and Gatys' first image is the instant result.
  const instantImage = await pixels(page, 'style-output');
  await page.click('#style-refine');
  assert.equal(await page.inputValue('#style-method'), 'gatys');
  await page.waitForFunction(() => window.easel.style.state === 'done', null, { timeout: 10 * 60_000 });
  const start = await page.evaluate(() => window.easel.style.start);
  assert.deepEqual([start.width, start.height], [64, 43]);
  assert.ok(meanDiff(start.rgba, instantImage.data) < 1, 'Gatys did not start from the instant image');
  await page.screenshot({ path: path.join(out, 'page-instant.png'), fullPage: true });

  const origin = new URL(env.srv.url).origin;
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), []);
  assert.deepEqual(problems, []);
  await page.close();
});
