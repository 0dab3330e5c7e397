// The "Style transfer" tab: the images, the method (instant or Gatys), Run/Stop/Refine,
// progress, the result and Gatys' losses. Settings live in state.js; the work runs in the worker.
import { $, note, progressBar, download, dropZone } from './dom.js';
import { drawChart } from './chart.js';
import { send, listen, session } from './channel.js';
import { state, buildFields, showFieldErrors, setValue, saveToUrl } from './state.js';

export const style = {
  state: 'idle',       // idle | starting | running | stopped | done | error
  images: {},          // role ('content', 'style', 'second') -> {name, width, height}
  instant: null,       // the last instant result: {width, height, predictMs, transformMs, predicted}
  rerender: false,     // strength or blend moved while an instant render ran: render again after
  iteration: 0,
  iterations: 0,
  points: [],          // {iteration, total, content, style, tv}
  outputVersion: 0,
  ipsWindow: [],
};

const message = (text, isError = false) => note('style-message', text, isError);
const busy = () => style.state === 'running' || style.state === 'starting';
const instantMode = () => state.style.method !== 'gatys';
const ROLE_NAMES = { content: 'photo', style: 'style image', second: 'second style image' };

export function setStyleState(s) {
  style.state = s;
  const haveBoth = !!(style.images.content && style.images.style);
  $('style-run').disabled = !session.backend || busy() || !haveBoth;
  $('style-run').textContent = s === 'stopped' && !instantMode() ? 'Run again' : 'Run';
  $('style-stop').disabled = !busy() || instantMode();
  $('style-refine').disabled = !session.backend || busy() || !style.instant;
  $('style-example').disabled = !session.backend || busy();
  for (const id of ['file-content', 'file-style', 'file-second']) $(id).disabled = !session.backend || busy();
  $('clear-second').hidden = !style.images.second;
  const blend = document.getElementById('style-blend');
  if (blend) { blend.disabled = !style.images.second; blend.title = style.images.second ? '' : 'Add a second style image to blend with.'; }
}

// Shows the chosen method's settings (size and colours are shared) and what it does.
function showMethod() {
  const instant = instantMode();
  $('fields-instant').hidden = !instant;
  $('fields-gatys').hidden = instant;
  $('style-losses').hidden = instant;
  $('method-hint').textContent = instant
    ? 'A network trained on many paintings repaints the photo in one pass: seconds, up to 1024 px. Moving strength or blend repaints at once.'
    : 'The lesson\'s method: the image itself is optimised so its VGG16 features match the photo and its Gram matrices match the style. Slower, live, and it can be tuned.';
  setStyleState(style.state);
}

function runInstant() {
  setStyleState('starting');
  style.rerender = false;
  message(style.instant ? 'Repainting…' : 'Repainting (the first run loads the 5 MB instant style network)…');
  send('instantRun', { values: { ...state.style } });
}

export function showProgress() {
  if (instantMode()) { progressBar($('style-progress'), 0, busy() ? 'repainting…' : 'not started'); return; }
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
  message(`That ${ROLE_NAMES[role]} could not be used: ${text}`, true);
  setStyleState(style.state === 'starting' ? 'idle' : style.state);
}

listen({
  styleImage({ role, name, width, height, preview }) {
    style.images[role] = { name, width, height };
    const c = $(`preview-${role}`);
    c.width = preview.width; c.height = preview.height;
    c.getContext('2d').putImageData(new ImageData(preview.rgba, preview.width, preview.height), 0, 0);
    $(`info-${role}`).textContent = `${name} — ${width}×${height}`;
    $(`err-${role}`).textContent = '';
    if (role === 'second') message('Second style added: Run blends the two (the blend slider mixes them).');
    else message(style.images.content && style.images.style ? 'Ready: press Run.' : `Now choose the ${role === 'content' ? 'style image' : 'content photo'}.`);
    setStyleState(style.state === 'error' ? 'idle' : style.state);
  },
  instantOutput({ ok, errors, width, height, rgba, predicted, predictMs, transformMs }) {
    showFieldErrors('style', errors || []);
    if (!ok) { message('Fix the highlighted settings, then press Run.', true); setStyleState('idle'); return; }
    const c = $('style-output');
    c.width = width; c.height = height;
    c.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
    style.instant = { width, height, predicted, predictMs, transformMs };
    style.outputVersion++;
    style.outputIteration = 'instant';
    $('style-download').disabled = false;
    const s = (ms) => (ms / 1000).toFixed(ms < 10000 ? 2 : 1);
    const predictText = predicted ? `style predicted in ${s(predictMs)} s, ` : '';
    message(`Repainted at ${width}×${height}: ${predictText}painted in ${s(transformMs)} s. Move strength or blend to repaint, or Refine with Gatys.`);
    progressBar($('style-progress'), 1, `instant: ${width}×${height} in ${s(predictMs + transformMs)} s`);
    setStyleState('done');
    if (style.rerender && instantMode()) runInstant();
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

// Strength and blend repaint at once once there is an instant result (after the running one).
function settingChanged(f) {
  if (session.backend) send('styleValidate', { values: { ...state.style } });
  if (f.name === 'method') { showMethod(); return; }
  if ((f.name === 'strength' || f.name === 'blend') && instantMode() && style.instant) {
    if (busy()) style.rerender = true;
    else runInstant();
  }
}

// Builds the tab's settings from Rust's field list.
export function initStyle(fieldList) {
  buildFields('style', fieldList, settingChanged);
  showMethod();
}

// A link may set the method after the fields are built.
export const showStyleMethod = () => showMethod();

for (const role of ['content', 'style', 'second']) {
  $(`file-${role}`).addEventListener('change', (e) => { const f = e.target.files[0]; if (f) readFile(role, f); e.target.value = ''; });
  dropZone($(`drop-${role}`), (dt) => {
    const f = dt.files[0];
    if (!f) { $(`err-${role}`).textContent = 'Drop an image file (not a link or text).'; return; }
    if (busy()) { $(`err-${role}`).textContent = 'Stop the running transfer first.'; return; }
    readFile(role, f);
  });
}
$('style-example').addEventListener('click', () => { message('Loading the example pair…'); send('styleExample'); });
function startGatys(refine) {
  setStyleState('starting');
  message(style.iteration || refine ? `Starting ${refine ? 'Gatys from the instant result' : 'a new run'}…` : 'Starting (the first run loads the 19 MB feature network)…');
  send('styleStart', { values: { ...state.style }, refine });
}
$('style-run').addEventListener('click', () => (instantMode() ? runInstant() : startGatys(false)));
// Polishing the instant result: Gatys (its settings shown now) starts from it, content = the photo.
$('style-refine').addEventListener('click', () => {
  setValue('style', 'method', 'gatys');
  saveToUrl();
  showMethod();
  startGatys(true);
});
$('clear-second').addEventListener('click', () => {
  delete style.images.second;
  send('clearSecondStyle');
  const c = $('preview-second');
  c.height = 0;
  $('info-second').textContent = 'drop an image here or';
  $('err-second').textContent = '';
  message(style.instant ? 'Second style removed: Run repaints with the first alone.' : 'Second style removed.');
  setStyleState(style.state);
});
$('style-stop').addEventListener('click', () => { $('style-stop').disabled = true; send('styleStop'); });
$('style-download').addEventListener('click', () => {
  const base = (style.images.content?.name || 'photo').replace(/\.[^.]*$/, '');
  $('style-output').toBlob((blob) => download(blob, `easel-${base}-styled-${style.outputIteration}.png`), 'image/png');
});
