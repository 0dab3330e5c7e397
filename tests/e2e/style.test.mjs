// End-to-end test of the Style tab in headless Chromium on WebGPU (SwiftShader here): bad
// files get their messages, then a short run at the smallest size repaints the photo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPage } from './server.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const out = path.join(root, 'tests/e2e/out');
const images = path.join(root, 'tests/data/images');
const ITERATIONS = Number(process.env.EASEL_E2E_STYLE_ITERATIONS || 3);
let srv, browser;

let env;
before(async () => { env = await startPage(root); ({ srv, browser } = env); });
after(async () => { await env?.close(); });

const pixels = (page, id) => page.evaluate((id) => {
  const c = document.getElementById(id);
  return { w: c.width, h: c.height, data: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data) };
}, id);

// Drops a file on a drop zone the way a person's drag & drop does (a DataTransfer with a File).
async function dropFile(page, zone, file) {
  const b64 = fs.readFileSync(file).toString('base64');
  await page.evaluate(({ zone, name, b64 }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type: 'image/jpeg' }));
    document.getElementById(zone).dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { zone, name: path.basename(file), b64 });
}

test('style transfer: bad files are refused with messages, then a photo is repainted', { timeout: 20 * 60_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems = [];
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') problems.push(`worker: ${m.text()}`); }));
  await page.goto(srv.url + '?backend=webgpu#style');
  assert.equal(await page.isVisible('#tab-style'), true);
  assert.equal(await page.isHidden('#tab-train'), true);
  await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 240_000 });
  assert.equal(await page.textContent('#backend'), 'Backend: WebGPU');

  // Each bad file gets its message next to the drop zone; the page stays usable.
  const bad = [
    ['empty.png', /empty \(0 bytes\)/],
    ['not_an_image.jpg', /not an image Easel can read/],
    ['truncated.png', /corrupt or truncated/],
    ['truncated.jpg', /the JPEG file is truncated/],
    ['unsupported.tiff', /TIFF images are not supported/],
    ['huge.png', /30000 x 30000 pixels.*limit is 50 megapixels/],
  ];
  for (const [name, want] of bad) {
    await page.setInputFiles('#file-content', path.join(images, name));
    await page.waitForFunction(() => document.getElementById('err-content').textContent.length > 0, null, { timeout: 60_000 });
    const text = await page.textContent('#err-content');
    assert.match(text, want, name);
    assert.ok(text.startsWith(name), `the message names the file: ${text}`);
    assert.equal(await page.isDisabled('#style-run'), true, 'no Run without images');
  }
  // Odd but valid encodings are accepted, upright (EXIF orientation 6: 64x48 stored, 48x64 shown).
  await page.setInputFiles('#file-style', path.join(images, 'exif_rotate90.jpg'));
  await page.waitForFunction(() => window.easel.style.images.style, null, { timeout: 60_000 });
  assert.deepEqual(await page.evaluate(() => window.easel.style.images.style), { name: 'exif_rotate90.jpg', width: 48, height: 64 });
  for (const name of ['cmyk.jpg', 'rgb16.png', 'alpha.png', 'grey.png', 'palette.gif']) {
    await page.setInputFiles('#file-style', path.join(images, name));
    await page.waitForFunction((n) => window.easel.style.images.style?.name === n, name, { timeout: 60_000 });
  }
  // A bad style file after a good one: the message says the good one is kept.
  await page.setInputFiles('#file-style', path.join(images, 'truncated.png'));
  await page.waitForFunction(() => document.getElementById('err-style').textContent.includes('still using palette.gif'), null, { timeout: 60_000 });

  // A real photo by the file picker, the style image by drag & drop.
  await page.setInputFiles('#file-content', path.join(root, 'www/examples/cat.jpg'));
  await page.waitForFunction(() => window.easel.style.images.content?.name === 'cat.jpg', null, { timeout: 60_000 });
  assert.equal(await page.textContent('#err-content'), '');
  await dropFile(page, 'drop-style', path.join(root, 'www/examples/swirls.jpg'));
  await page.waitForFunction(() => window.easel.style.images.style?.name === 'swirls.jpg', null, { timeout: 60_000 });
  assert.equal(await page.isEnabled('#style-run'), true);

  // Gatys (the lesson's method; instant style has its own test). A bad setting is refused
  // next to its field.
  await page.selectOption('#style-method', 'gatys');
  await page.fill('#style-iterations', '0');
  await page.waitForFunction(() => document.querySelector('.err[data-for="style-iterations"]').textContent.length > 0);
  await page.click('#style-run');
  await page.waitForFunction(() => document.getElementById('style-message').textContent.includes('Fix'), null, { timeout: 60_000 });

  // A short run at the smallest size.
  await page.fill('#style-size', '128');
  await page.fill('#style-iterations', String(ITERATIONS));
  await page.waitForFunction(() => document.querySelectorAll('#tab-style .err[data-for]:not(:empty)').length === 0);
  await page.click('#style-run');
  await page.waitForFunction(() => window.easel.style.state === 'done', null, { timeout: 15 * 60_000 });
  const st = await page.evaluate(() => window.easel.style);
  assert.equal(st.iteration, ITERATIONS);
  assert.equal(st.points.length, ITERATIONS);
  for (const p of st.points) assert.ok(Object.values(p).every(Number.isFinite), `non-finite losses ${JSON.stringify(p)}`);
  assert.ok(st.points.at(-1).total < st.points[0].total, `total loss did not fall: ${st.points[0].total} -> ${st.points.at(-1).total}`);
  await page.waitForFunction((n) => window.easel.style.outputIteration === n, ITERATIONS, { timeout: 60_000 });

  // The output has the photo's shape (451 x 300 -> 128 x 85), is not blank, and differs from
  // the photo it started from (the first image the page drew).
  const outPx = await pixels(page, 'style-output');
  const photo = await page.evaluate(() => window.easel.style.start);
  assert.deepEqual([outPx.w, outPx.h], [128, 85]);
  assert.deepEqual([photo.width, photo.height], [128, 85]);
  let diff = 0, sum = 0, sq = 0, n = 0;
  for (let i = 0; i < outPx.data.length; i++) {
    if (i % 4 === 3) continue;
    diff += Math.abs(outPx.data[i] - photo.rgba[i]);
    sum += outPx.data[i]; sq += outPx.data[i] ** 2; n++;
  }
  const variance = sq / n - (sum / n) ** 2;
  assert.ok(variance > 100, `output looks blank (variance ${variance})`);
  assert.ok(diff / n > 1, `output is the photo unchanged (mean difference ${diff / n})`);

  // Download gives a PNG of the output's size.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#style-download')]);
  const png = fs.readFileSync(await download.path());
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 85]);
  assert.match(download.suggestedFilename(), /^easel-cat-styled-\d+\.png$/);
  await page.screenshot({ path: path.join(out, 'page-style.png'), fullPage: true });

  // One job at a time: while the GAN trains, Run says so and nothing breaks.
  await page.click('#tab-train-btn');
  await page.fill('#batch_size', '8');
  await page.click('#train');
  await page.waitForFunction(() => window.easel.state === 'running', null, { timeout: 120_000 });
  await page.click('#tab-style-btn');
  await page.click('#style-run');
  await page.waitForFunction(() => document.getElementById('style-message').textContent.includes('one job at a time'), null, { timeout: 120_000 });
  assert.equal(await page.isEnabled('#style-run'), true);
  await page.click('#tab-train-btn');
  await page.click('#pause');
  await page.waitForFunction(() => window.easel.state === 'paused', null, { timeout: 240_000 });

  // Stop: a long run stops after the iterations under way, keeps its result, and the GAN
  // cannot start while it runs.
  await page.click('#tab-style-btn');
  await page.fill('#style-iterations', '500');
  await page.click('#style-run');
  await page.waitForFunction(() => window.easel.style.state === 'running' && window.easel.style.iteration >= 1, null, { timeout: 300_000 });
  await page.click('#tab-train-btn');
  await page.click('#train');
  await page.waitForFunction(() => document.getElementById('message').textContent.includes('Style transfer is running'), null, { timeout: 300_000 });
  await page.click('#tab-style-btn');
  await page.click('#style-stop');
  await page.waitForFunction(() => window.easel.style.state === 'stopped', null, { timeout: 300_000 });
  const stoppedAt = await page.evaluate(() => window.easel.style.iteration);
  assert.ok(stoppedAt >= 1 && stoppedAt < 500);
  await page.waitForTimeout(3000);
  assert.equal(await page.evaluate(() => window.easel.style.iteration), stoppedAt, 'iterations went on after Stop');
  assert.match(await page.textContent('#style-message'), new RegExp(`Stopped at iteration ${stoppedAt}`));
  assert.equal(await page.textContent('#style-run'), 'Run again');

  const origin = new URL(srv.url).origin;
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), []);
  assert.deepEqual(problems, []);
  await page.close();
});

test('style transfer: a failed download of either network is reported and Run works again', { timeout: 5 * 60_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.route('**/vgg16.safetensors', (r) => r.fulfill({ status: 404, body: 'not found' }));
  await page.route('**/instant-style.safetensors', (r) => r.fulfill({ status: 404, body: 'not found' }));
  await page.goto(srv.url + '#style');
  await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 240_000 });
  await page.click('#style-example');
  await page.waitForFunction(() => window.easel.style.images.content && window.easel.style.images.style, null, { timeout: 120_000 });
  await page.click('#style-run');
  await page.waitForFunction(() => document.getElementById('style-message').textContent.includes('HTTP 404'), null, { timeout: 120_000 });
  assert.match(await page.textContent('#style-message'), /could not load instant style network \(5 MB\): HTTP 404/);
  assert.equal(await page.isEnabled('#style-run'), true);
  await page.selectOption('#style-method', 'gatys');
  await page.click('#style-run');
  await page.waitForFunction(() => document.getElementById('style-message').textContent.includes('HTTP 404'), null, { timeout: 120_000 });
  assert.match(await page.textContent('#style-message'), /could not load feature network \(VGG16\): HTTP 404/);
  assert.equal(await page.isEnabled('#style-run'), true);
  assert.equal(await page.textContent('#message').then((t) => t.includes('Error')), false, 'the training tab is not blamed');
  assert.deepEqual(problems, []);
  await page.close();
});
