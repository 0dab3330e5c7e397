// The quality chart in the page: MNIST's shipped classifier judges the samples at every grid
// refresh (score, classes covered) and every few refreshes on 512 samples (Fréchet distance);
// clicking a sample says what the classifier reads. On the CPU path (the page's choice here).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startPage, readyPage } from './server.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const out = path.join(root, 'tests/e2e/out');
let env;
after(async () => { await env?.close(); });

test('the quality chart gets finite points while MNIST trains, and a clicked sample shows its class', { timeout: 10 * 60_000 }, async () => {
  env = await startPage(root);
  const { page, problems } = await readyPage(env);
  const judge = await page.evaluate(() => window.easel.judge);
  assert.ok(judge, 'MNIST has a classifier');
  assert.ok(judge.accuracy >= 0.98, `held-out accuracy ${judge.accuracy}`);
  assert.ok(judge.realScore > 8 && judge.realClasses === 10, `real images: ${judge.realScore}, ${judge.realClasses}`);
  assert.equal(await page.isVisible('#chart-quality'), true);
  assert.match(await page.textContent('#quality-help'), /Classifier score.*Its accuracy on 1,000 images it never trained on: 9\d\.\d %/);

  await page.fill('#batch_size', '8');
  await page.click('#train');
  // Two Fréchet distances: the one at the first refresh and one ten refreshes later.
  await page.waitForFunction(() => window.easel.fd.length >= 2 && window.easel.quality.length >= 3, null, { timeout: 8 * 60_000 });
  await page.click('#pause');
  await page.waitForFunction(() => window.easel.state === 'paused', null, { timeout: 120_000 });
  const quality = await page.evaluate(() => window.easel.quality);
  for (const [step, score, classes, real] of quality) {
    assert.ok(Number.isInteger(step) && score >= 1 && score <= 10 && classes >= 0 && classes <= 10 && real > 8, `${step} ${score} ${classes} ${real}`);
  }
  for (const [step, fd] of await page.evaluate(() => window.easel.fd)) assert.ok(Number.isFinite(fd) && fd > 0, `FD ${fd} at step ${step}`);
  assert.match(await page.textContent('#samples-step'), /classifier score \d+\.\d\d, \d+\/10 classes/);
  // The tiny DCGAN (MNIST's default model) shows G averaged over its last steps, and says so.
  assert.equal(await page.inputValue('#average'), '100');
  assert.match(await page.textContent('#samples-step'), /^samples at step \d+ \(G averaged over its last 100 steps\) · /);

  const box = await page.locator('#samples').boundingBox();
  await page.click('#samples', { position: { x: box.width * 2.5 / 8, y: box.height * 0.5 / 8 } });
  assert.match(await page.textContent('#sample-class'), /^sample 3: the classifier reads “\d” \(\d+ % sure/);
  await page.locator('#progress').screenshot({ path: path.join(out, 'quality-chart.png') });
  assert.deepEqual(problems, []);
});
