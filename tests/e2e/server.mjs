// A static file server for dist/ on 127.0.0.1 (tests and benchmarks). Serves files as they
// are (no compression), with Content-Length so the page can show download progress, and, unless
// `isolated` is false, the two headers that make the page cross-origin isolated (as
// `trunk serve` does), which the CPU path's threads need.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.wasm': 'application/wasm', '.png': 'image/png', '.json': 'application/json',
  '.md': 'text/plain; charset=utf-8', '.jpg': 'image/jpeg', '.gz': 'application/gzip',
};

// What makes a page cross-origin isolated (bench/compare.mjs's server sends them too).
export const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export function serve(root, { isolated = true } = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) { res.writeHead(403); res.end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.stat(file, (err, st) => {
      if (err) { res.writeHead(404); res.end('not found'); return; }
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
        'Content-Length': st.size,
        'Cache-Control': 'no-cache',
        ...(isolated ? ISOLATION : {}),
      });
      fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, url: `http://127.0.0.1:${server.address().port}/` });
  }));
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-dev-shm-usage',
];

// The shared set-up of the page tests: dist/ served, one headless Chromium with WebGPU.
export async function startPage(root, options) {
  const fs = await import('node:fs');
  const { chromium } = await import('playwright-core');
  if (!fs.existsSync(path.join(root, 'dist/easel_bg.wasm'))) throw new Error('dist/ is missing: run trunk build --release');
  fs.mkdirSync(path.join(root, 'tests/e2e/out'), { recursive: true });
  const srv = await serve(path.join(root, 'dist'), options);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  return { srv, browser, close: async () => { await browser.close(); srv.server.close(); } };
}

// A new page of `env` on the page's address, with its errors collected (`problems`: page
// errors and console errors), once it is ready to train.
export async function readyPage(env, query = '') {
  const page = await env.browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  await page.goto(env.srv.url + query);
  await page.waitForFunction(() => window.easel.state === 'ready', null, { timeout: 240_000 });
  return { page, problems };
}
