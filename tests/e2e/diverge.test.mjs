// Divergence caught in the page: learning rate 1 on both nets blows the weights up within a
// few steps; training stops at once with the cause, the charts keep their finite steps, and
// "Go back to step N" restores the state the worker kept, from which a sane rate trains on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startPage, readyPage } from './server.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const out = path.join(root, 'tests/e2e/out');
let env;
after(async () => { await env?.close(); });

test('learning rate 1 stops training with the cause; "Go back" restores a state that trains on', { timeout: 10 * 60_000 }, async () => {
  env = await startPage(root);
  const { page, problems } = await readyPage(env);
  assert.equal(await page.isVisible('#diverged-box'), false);

  // MNIST's default model is the tiny DCGAN, with its own learning rate and latent size; the
  // lesson's DCGAN brings the lesson's, and back.
  assert.equal(await page.inputValue('#model'), 'tiny');
  assert.deepEqual([await page.inputValue('#lr_g'), await page.inputValue('#latent')], ['0.001', '32']);
  await page.selectOption('#model', 'dcgan');
  assert.deepEqual([await page.inputValue('#lr_g'), await page.inputValue('#lr_d'), await page.inputValue('#latent')], ['0.0002', '0.0002', '100']);
  await page.selectOption('#model', 'tiny');
  assert.deepEqual([await page.inputValue('#lr_d'), await page.inputValue('#latent')], ['0.001', '32']);
  await page.fill('#batch_size', '8');
  await page.fill('#lr_g', '1');
  await page.fill('#lr_d', '1');
  await page.click('#train');
  await page.waitForFunction(() => window.easel.state === 'diverged', null, { timeout: 4 * 60_000 });
  const text = await page.textContent('#diverged-text');
  assert.match(text, /^Training diverged at step (\d+): the [DG] loss reached \d+ \(a healthy run stays below ~10: the weights blew up\)\. Likely cause: the learning rate is too high \(G 1, D 1; the lesson's is 2e-4\)\. Go back to step 0/);
  const stoppedAt = Number(text.match(/step (\d+)/)[1]);
  assert.equal(await page.textContent('#go-back'), 'Go back to step 0');
  assert.equal(await page.isDisabled('#train'), true);
  assert.equal(await page.isDisabled('#step'), true);
  assert.match(await page.textContent('#message'), /Stopped at step \d+: training diverged/);
  // The charts hold the steps before the divergence, every value finite.
  const points = await page.evaluate(() => window.easel.points);
  assert.deepEqual(points.map((p) => p.step), Array.from({ length: stoppedAt - 1 }, (_, i) => i + 1));
  assert.equal(await page.evaluate(() => window.easel.step), stoppedAt - 1);
  for (const p of points) for (const k of ['d_loss', 'g_loss', 'd_real', 'd_fake']) assert.ok(Number.isFinite(p[k]), `${k} ${p[k]} at ${p.step}`);
  await page.locator('#progress').screenshot({ path: path.join(out, 'diverged.png') });
  await page.locator('#diverged-box').screenshot({ path: path.join(out, 'diverged-box.png') });

  // A sane rate, then back to the kept state: the charts drop what came after it.
  await page.fill('#lr_g', '2e-4');
  await page.fill('#lr_d', '2e-4');
  await page.click('#go-back');
  await page.waitForFunction(() => window.easel.state === 'paused', null, { timeout: 60_000 });
  assert.equal(await page.isVisible('#diverged-box'), false);
  assert.match(await page.textContent('#message'), /^Back at step 0, the last good state\./);
  assert.equal(await page.evaluate(() => window.easel.step), 0);
  assert.equal(await page.evaluate(() => window.easel.points.length), 0);
  await page.click('#train');
  await page.waitForFunction(() => window.easel.step >= 5, null, { timeout: 4 * 60_000 });
  await page.click('#pause');
  await page.waitForFunction(() => window.easel.state === 'paused', null, { timeout: 60_000 });
  const after = await page.evaluate(() => window.easel.points);
  assert.ok(after.length >= 5 && after[0].step === 1);
  for (const p of after) assert.ok(Math.abs(p.g_loss) < 100 && Number.isFinite(p.d_loss), `step ${p.step}: ${JSON.stringify(p)}`);
  assert.deepEqual(problems, []);
});
