import { chromium } from 'playwright-core';
import { serve } from '/work/main/tests/e2e/server.mjs';
const srv = await serve('/work/main/dist');
const args = ['--no-sandbox','--disable-background-networking','--disable-component-update','--no-first-run','--disable-sync','--disable-dev-shm-usage', ...process.argv.slice(2)];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args });
const page = await browser.newPage();
page.on('worker', (w) => w.on('console', (m) => console.log('worker', m.type(), m.text().slice(0,300))));
await page.goto(srv.url);
try { await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 60000 }); } catch (e) { console.log('not ready'); }
console.log(await page.evaluate(() => [navigator.gpu !== undefined, document.getElementById('backend').textContent, document.getElementById('backend-note').textContent]));
await browser.close(); srv.server.close();
