import { chromium } from 'playwright-core';
import { serve, CHROMIUM_ARGS } from '/work/main/tests/e2e/server.mjs';
const srv = await serve('/work/main/dist');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const t0 = Date.now();
const log = (...a) => console.log(((Date.now()-t0)/1000).toFixed(1), ...a);
page.on('console', (m) => log('console', m.type(), m.text()));
page.on('pageerror', (e) => log('pageerror', e.message));
page.on('worker', (w) => { log('worker', w.url()); w.on('console', (m) => log('worker-console', m.type(), m.text())); });
page.on('requestfailed', (r) => log('requestfailed', r.url(), r.failure()?.errorText));
await page.goto(srv.url + (process.argv[2] || ''));
try { await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 180000 }); log('ready'); } catch (e) { log('not ready', e.message); }
log('backend', await page.textContent('#backend'), await page.textContent('#message'));
const steps = Number(process.argv[3] || 0);
if (steps) {
  await page.fill('#batch_size', process.argv[4] || '8');
  await page.click('#train');
  try { await page.waitForFunction((n) => window.easel.step >= n, steps, { timeout: 600000 }); } catch (e) { log('timeout', e.message); }
  log('step', await page.evaluate(() => window.easel.step), 'ips', await page.textContent('#ips'));
  await page.click('#pause');
  await page.waitForTimeout(1500);
}
await page.screenshot({ path: '/tmp/probe.png', fullPage: true });
await browser.close(); srv.server.close();
