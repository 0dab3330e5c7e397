// The "Style transfer" tab: the two images, Run/Stop, progress, the result and its losses.
// Settings live in state.js; the optimisation runs in the worker.
import { $, note, progressBar, download, dropZone } from './dom.js';
import { drawChart } from './chart.js';
import { send, listen, session } from './channel.js';
import { state, buildFields, showFieldErrors } from './state.js';

export const style = {
  state: 'idle',       // idle | starting | running | stopped | done | error
  images: {},          // role -> {name, width, height}
  iteration: 0,
  iterations: 0,
  points: [],          // {iteration, total, content, style, tv}
  outputVersion: 0,
  ipsWindow: [],
};

const message = (text, isError = false) => note('style-message', text, isError);
const busy = () => style.state === 'running' || style.state === 'starting';

export function setStyleState(s) {
  style.state = s;
  const haveBoth = !!(style.images.content && style.images.style);
  $('style-run').disabled = !session.backend || busy() || !haveBoth;
  $('style-run').textContent = s === 'stopped' ? 'Run again' : 'Run';
  $('style-stop').disabled = !busy();
  $('style-example').disabled = !session.backend || busy();
  for (const id of ['file-content', 'file-style']) $(id).disabled = !session.backend || busy();
}

export function showProgress() {
  const n = style.ipsWindow.reduce((a, w) => a + w.n, 0), ms = style.ipsWindow.reduce((a, w) => a + w.ms, 0);
  style.ips = n && ms ? n / (ms / 1000) : 0;
  const rate = style.ips ? ` · ${style.ips >= 10 ? style.ips.toFixed(0) : style.ips.toFixed(2)} it/s` : '';
  progressBar($('style-progress'), style.iterations ? style.iteration / style.iterations : 0, `iteration ${style.iteration} / ${style.iterations}${rate}`);
}

export function redrawStyle() {
  const col = (k) => style.points.map((p) => p[k]);
  drawChart($('chart-style'), col('iteration'), [
    { name: 'content', color: '#7bd88f', raw: col('content') },
    { name: 'style', color: '#c792ea', raw: col('style') },
    { name: 'TV', color: '#ffc46b', raw: col('tv') },
  ], { log: true, unit: 'iteration', smoothing: Number($('smoothing').value) });
}

function readFile(role, file) {
  if (!session.backend) return;
  $(`err-${role}`).textContent = '';
  $(`info-${role}`).textContent = `reading ${file.name}…`;
  file.arrayBuffer().then(
    (buf) => send('styleImage', { role, name: file.name, bytes: buf }, [buf]),
    (e) => imageError({ role, name: file.name, message: `the browser could not read the file (${e.message})` }),
  );
}

function imageError({ role, name, message: text }) {
  const kept = style.images[role] ? ` (still using ${style.images[role].name})` : '';
  $(`err-${role}`).textContent = `${name}: ${text}${kept}`;
  message(`That ${role === 'content' ? 'photo' : 'style image'} could not be used: ${text}`, true);
}

listen({
  styleImage({ role, name, width, height, preview }) {
    style.images[role] = { name, width, height };
    const c = $(`preview-${role}`);
    c.width = preview.width; c.height = preview.height;
    c.getContext('2d').putImageData(new ImageData(preview.rgba, preview.width, preview.height), 0, 0);
    $(`info-${role}`).textContent = `${name} — ${width}×${height}`;
    $(`err-${role}`).textContent = '';
    message(style.images.content && style.images.style ? 'Ready: press Run.' : `Now choose the ${role === 'content' ? 'style image' : 'content photo'}.`);
    setStyleState(style.state === 'error' ? 'idle' : style.state);
  },
  styleImageError: imageError,
  styleValidated({ errors }) { showFieldErrors('style', errors); },
  styleConfigured({ ok, errors, width, height, iterations }) {
    showFieldErrors('style', errors);
    if (!ok) { message('Fix the highlighted settings, then press Run.', true); setStyleState('idle'); return; }
    Object.assign(style, { iteration: 0, iterations, points: [], ipsWindow: [], width, height });
    showProgress();
    redrawStyle();
  },
  styleRunning({ running, done }) {
    if (running) { setStyleState('running'); message('Repainting… the result updates every few iterations.'); }
    else if (done) { setStyleState('done'); message(`Done: ${style.iteration} iterations. Download the result, or change settings and run again.`); }
    else if (busy()) { setStyleState('stopped'); message(`Stopped at iteration ${style.iteration}.`); }
  },
  styleStats({ stats, iteration, ms }) {
    const first = iteration - stats.length + 1;
    stats.forEach((s, i) => style.points.push({ iteration: first + i, ...s }));
    style.iteration = iteration;
    style.lastStatsAt = performance.now();
    style.ipsWindow.push({ n: stats.length, ms });
    if (style.ipsWindow.length > 10) style.ipsWindow.shift();
    showProgress();
    redrawStyle();
  },
  styleOutput({ width, height, rgba }) {
    const c = $('style-output');
    c.width = width; c.height = height;
    c.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
    style.outputVersion++;
    style.outputIteration = style.iteration;
    if (style.iteration === 0) style.start = { width, height, rgba: Array.from(rgba) };
    $('style-download').disabled = false;
  },
  styleError({ message: text }) {
    message(`Error: ${text}`, true);
    setStyleState(style.state === 'running' ? 'stopped' : 'idle');
  },
});

// Builds the tab's settings from Rust's field list.
export function initStyle(fieldList) {
  buildFields('style', fieldList, () => { if (session.backend) send('styleValidate', { values: { ...state.style } }); });
  setStyleState(style.state);
}

for (const role of ['content', 'style']) {
  $(`file-${role}`).addEventListener('change', (e) => { const f = e.target.files[0]; if (f) readFile(role, f); e.target.value = ''; });
  dropZone($(`drop-${role}`), (dt) => {
    const f = dt.files[0];
    if (!f) { $(`err-${role}`).textContent = 'Drop an image file (not a link or text).'; return; }
    if (busy()) { $(`err-${role}`).textContent = 'Stop the running transfer first.'; return; }
    readFile(role, f);
  });
}
$('style-example').addEventListener('click', () => { message('Loading the example pair…'); send('styleExample'); });
$('style-run').addEventListener('click', () => {
  setStyleState('starting');
  message(style.iteration ? 'Starting a new run…' : 'Starting (the first run loads the 19 MB feature network)…');
  send('styleStart', { values: { ...state.style } });
});
$('style-stop').addEventListener('click', () => { $('style-stop').disabled = true; send('styleStop'); });
$('style-download').addEventListener('click', () => {
  const base = (style.images.content?.name || 'photo').replace(/\.[^.]*$/, '');
  $('style-output').toBlob((blob) => download(blob, `easel-${base}-styled-${style.outputIteration}.png`), 'image/png');
});
