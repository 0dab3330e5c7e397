// Sample quality against wall-clock time in the page, as a person without a GPU meets it: the
// page on its CPU path (SwiftShader here, so the page's own choice is the CPU on every core,
// cross-origin isolated), MNIST, the chosen model with its defaults (batch 64), Train pressed,
// and the quality chart read for MINUTES of training (from the first trained step; the grid
// refreshes and scoring are part of the time, as for the user).
//   node bench/quality-page.mjs [--model tiny] [--data mnist] [--minutes 5] [--seed 1] [--set name=value,...]
// (--set: other settings typed into their fields after the model is chosen, e.g. average=0)
// Needs a built dist/ (trunk build --release). Prints the curve (step, seconds, score, classes,
// FD) and writes it with the final grid to bench/out/quality-page-MODEL-DATA-seedN.{json,png}.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arg } from './args.mjs';
import { startPage } from '../tests/e2e/server.mjs';

const MODEL = arg('model', 'tiny'), DATA = arg('data', 'mnist'), SEED = arg('seed', '1');
const MINUTES = Number(arg('minutes', 5));
const SET = (arg('set', '') || '').split(',').filter(Boolean).map((kv) => kv.split('='));
const root = path.resolve(import.meta.dirname, '..');
const outDir = path.join(root, 'bench/out');
fs.mkdirSync(outDir, { recursive: true });

const env = await startPage(root);
try {
  const page = await env.browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${env.srv.url}#train&data=${DATA}`);
  await page.waitForFunction(() => window.easel.state === 'ready' && !window.easel.linkPending, null, { timeout: 300_000 });
  await page.selectOption('#model', MODEL);
  await page.fill('#seed', SEED);
  for (const [name, value] of SET) await page.fill(`#${name}`, value);
  const settings = await page.evaluate(() => window.easel.settings.gan);
  const adapter = await page.textContent('#backend');
  await page.click('#train');
  await page.waitForFunction(() => window.easel.firstStatsAt !== undefined, null, { timeout: 300_000 });
  const t0 = await page.evaluate(() => window.easel.firstStatsAt);
  // The quality chart's points, each with the time it arrived (ms after the first step).
  await page.evaluate((start) => {
    window.qualityTimes = [];
    let seen = 0;
    setInterval(() => {
      const q = window.easel.quality;
      for (; seen < q.length; seen++) window.qualityTimes.push([q[seen][0], performance.now() - start]);
    }, 100);
  }, t0);
  await page.waitForTimeout(MINUTES * 60_000);
  await page.click('#pause');
  await page.waitForFunction(() => window.easel.state === 'paused', null, { timeout: 600_000 });
  const r = await page.evaluate(() => ({
    quality: window.easel.quality, fd: window.easel.fd, times: window.qualityTimes, step: window.easel.step,
    lastStatsAt: window.easel.lastStatsAt, firstStatsAt: window.easel.firstStatsAt,
  }));
  const seconds = (step) => (r.times.find((t) => t[0] === step)?.[1] ?? NaN) / 1000;
  const fdAt = (step) => r.fd.filter((f) => f[0] <= step).pop()?.[1];
  const rows = r.quality.map(([step, score, classes]) => ({ step, seconds: +seconds(step).toFixed(1), score: +score.toFixed(2), classes, fd: fdAt(step) }));
  const firstAt = (ok) => rows.find(ok);
  const summary = {
    model: MODEL, data: DATA, seed: SEED, minutes: MINUTES, settings, steps: r.step,
    imagesPerSecond: +(r.step * Number(settings.batch_size) / ((r.lastStatsAt - r.firstStatsAt) / 1000)).toFixed(1),
    machine: `${os.cpus()[0].model.trim()} x${os.cpus().length}`, browser: env.browser.version(), adapter,
    best: rows.reduce((a, b) => (b.score > a.score ? b : a), rows[0]),
    first10Classes: firstAt((x) => x.classes === 10), first75: firstAt((x) => x.score >= 7.5 && x.classes === 10),
    last: rows[rows.length - 1], rows,
  };
  const name = `quality-page-${MODEL}-${DATA}-seed${SEED}${SET.map(([k, v]) => `-${k}${v}`).join('')}`;
  fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(summary, null, 1));
  await page.locator('#samples').screenshot({ path: path.join(outDir, `${name}.png`) });
  // One row per minute, and the summary.
  for (let m = 1; m <= MINUTES; m++) {
    const row = rows.filter((x) => x.seconds <= m * 60).pop();
    if (row) console.log(`${m} min: step ${row.step}, score ${row.score}, classes ${row.classes}/10, FD ${row.fd?.toFixed(1)}`);
  }
  console.log(JSON.stringify({ ...summary, rows: undefined }, null, 1));
} finally {
  await env.close();
}
