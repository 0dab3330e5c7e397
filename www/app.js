// Easel page: controls, charts and the sample grid. Training runs in www/worker.js.
const $ = (id) => document.getElementById(id);
const FIELDS = ['batch_size', 'latent', 'lr_g', 'lr_d', 'beta1'];
const params = new URLSearchParams(location.search);

const ui = {
  state: 'loading',      // loading | ready | configured | running | paused | error
  dataset: null,
  step: 0,
  points: [],            // [step, dLoss, gLoss, dX, dGZ]
  ipsWindow: [],         // recent {images, ms}
  batch: 64,
  samplesStep: -1,
  samplesVersion: 0,
  style: {
    state: 'idle',       // idle | starting | running | stopped | done | error
    images: {},          // role -> {name, width, height}
    iteration: 0,
    iterations: 0,
    points: [],          // [iteration, total, content, style, tv]
    outputVersion: 0,
    ipsWindow: [],
  },
};
window.easel = ui;       // read by the end-to-end tests

const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
const send = (type, data = {}) => worker.postMessage({ type, ...data });

function values() {
  const v = { model: $('model').value };
  for (const f of FIELDS) v[f] = $(f).value;
  return v;
}

function message(text, isError = false) {
  $('message').textContent = text;
  $('message').classList.toggle('error', isError);
}

function showFieldErrors(errors, fields = FIELDS) {
  for (const f of fields) {
    $(f).classList.remove('invalid');
    const span = document.querySelector(`.err[data-for="${f}"]`);
    if (span) span.textContent = '';
  }
  if (fields === FIELDS) document.querySelector('.err[data-for="model"]').textContent = '';
  for (const e of errors) {
    const span = document.querySelector(`.err[data-for="${e.field}"]`);
    if (span) span.textContent = span.textContent ? `${span.textContent} ${e.message}` : e.message;
    if ($(e.field)) $(e.field).classList.add('invalid');
  }
}

function setState(s) {
  ui.state = s;
  const has = ['configured', 'running', 'paused'].includes(s);
  $('train').disabled = !['ready', 'configured', 'paused'].includes(s);
  $('train').textContent = s === 'paused' ? 'Resume' : 'Train';
  $('pause').disabled = s !== 'running';
  $('step').disabled = !['ready', 'configured', 'paused'].includes(s);
  $('reset').disabled = !has;
  $('save').disabled = ui.samplesStep < 0;
  // The run's shape is fixed once it exists; learning rates stay adjustable.
  const locked = has || s === 'loading';
  for (const id of ['dataset', 'model', 'batch_size', 'latent', 'beta1']) $(id).disabled = locked;
}

function progressBar(el, frac, label) {
  el.querySelector('.bar').style.width = `${Math.round(Math.min(1, Math.max(0, frac)) * 100)}%`;
  el.querySelector('span').textContent = label;
}

// ---------- charts ----------
function smooth(series, alpha) {
  const out = [];
  let m = null;
  for (const v of series) { m = m === null ? v : alpha * m + (1 - alpha) * v; out.push(m); }
  return out;
}

// points: [[x, ...]]; lines: [{name, color, raw}]; opts: {yFixed: [lo, hi], log: bool, unit}.
function drawChart(canvas, points, lines, opts = {}) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height, L = 40, R = 8, T = 8, B = 20;
  ctx.clearRect(0, 0, W, H);
  const n = points.length, yFixed = opts.yFixed, unit = opts.unit || 'step';
  ctx.font = '11px system-ui'; ctx.fillStyle = '#9aa0ad';
  if (!n) { ctx.fillText(`no ${unit}s yet`, W / 2 - 30, H / 2); return; }
  if (opts.log) lines = lines.map((l) => ({ ...l, shown: l.raw, raw: l.raw.map((v) => Math.log10(Math.max(v, 1e-6))) }));
  let lo = yFixed ? yFixed[0] : Infinity, hi = yFixed ? yFixed[1] : -Infinity;
  if (!yFixed) for (const l of lines) for (const v of l.raw) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi > lo)) { hi = lo + 1; }
  const x0 = points[0][0], x1 = Math.max(points[n - 1][0], x0 + 1);
  const X = (s) => L + (W - L - R) * (s - x0) / (x1 - x0);
  const Y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  ctx.strokeStyle = '#2a2f3c'; ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const v = lo + (hi - lo) * i / 4, y = Y(v);
    ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(W - R, y); ctx.stroke();
    ctx.fillText(opts.log ? `1e${v.toFixed(1)}` : v.toFixed(2), 2, y + 4);
  }
  ctx.fillText(`${unit} ${x0}`, L, H - 5);
  ctx.fillText(`${x1}`, W - R - 30, H - 5);
  const alpha = Number($('smoothing').value);
  lines.forEach((l, k) => {
    // Long runs: draw at most ~2 points per pixel column (smoothing still sees every step).
    const every = Math.max(1, Math.floor(n / (2 * (W - L - R))));
    for (const [series, width, a] of [[l.raw, 1, 0.25], [smooth(l.raw, alpha), 2, 1]]) {
      ctx.strokeStyle = l.color; ctx.globalAlpha = a; ctx.lineWidth = width;
      ctx.beginPath();
      for (let i = 0; i < n; i += every) {
        const x = X(points[i][0]), y = Y(series[i]);
        i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1; ctx.fillStyle = l.color;
    const last = (l.shown || l.raw)[n - 1];
    ctx.fillText(`${l.name} ${Math.abs(last) < 0.01 && last !== 0 ? last.toExponential(1) : last.toFixed(3)}`, L + 8 + k * (opts.log ? 110 : 130), T + 12);
  });
}

let drawPending = false;
function redraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    const col = (k) => ui.points.map((p) => p[k]);
    drawChart($('chart-loss'), ui.points, [
      { name: 'D loss', color: '#ff8a65', raw: col(1) },
      { name: 'G loss', color: '#6cb6ff', raw: col(2) },
    ]);
    drawChart($('chart-d'), ui.points, [
      { name: 'D(x)', color: '#7bd88f', raw: col(3) },
      { name: 'D(G(z))', color: '#c792ea', raw: col(4) },
    ], { yFixed: [0, 1] });
    const sc = (k) => ui.style.points.map((p) => p[k]);
    drawChart($('chart-style'), ui.style.points, [
      { name: 'content', color: '#7bd88f', raw: sc(2) },
      { name: 'style', color: '#c792ea', raw: sc(3) },
      { name: 'TV', color: '#ffc46b', raw: sc(4) },
    ], { log: true, unit: 'iteration' });
  });
}

// Counters, charts and throughput back to a run that has not stepped yet.
function clearRun() {
  ui.points = []; ui.ipsWindow = []; ui.step = 0;
  $('step-count').textContent = '0'; $('epoch-count').textContent = '0'; $('ips').textContent = '–';
  progressBar($('epoch-progress'), 0, 'epoch 0%');
  redraw();
}

// ---------- worker messages ----------
const on = {
  loaded() { send('open', { forceCpu: params.get('backend') === 'cpu' }); },
  progress({ what, got, total, done, bar }) {
    const el = bar === 'style' ? $('style-progress') : $('data-progress');
    if (bar === 'style' && done) { styleProgress(); return; }
    el.hidden = !!done;
    const mb = (b) => (b / 1048576).toFixed(1);
    progressBar(el, total ? got / total : 0, `loading ${what}: ${mb(got)}${total ? ' / ' + mb(total) : ''} MB`);
  },
  ready({ backend, note }) {
    const b = $('backend');
    b.textContent = backend === 'WebGPU' ? 'Backend: WebGPU' : 'Backend: CPU (wasm)';
    b.dataset.state = backend === 'WebGPU' ? 'webgpu' : 'cpu';
    ui.backend = backend;
    $('backend-note').hidden = !note;
    $('backend-note').textContent = note;
    setStyleState(ui.style.state);
    loadDataset();
  },
  dataset({ name, info }) {
    ui.dataset = name;
    message(`${info.count.toLocaleString()} images of ${info.width}×${info.height} loaded. Press Train.`);
    setState('ready');
    validate();
  },
  validated({ errors }) { showFieldErrors(errors); },
  configured({ ok, errors, batchesPerEpoch }) {
    showFieldErrors(errors);
    if (!ok) { message('Fix the highlighted settings, then press Train.', true); setState('ready'); return; }
    ui.batch = Number($('batch_size').value);
    ui.batchesPerEpoch = batchesPerEpoch;
    clearRun();
    setState('configured');
  },
  running({ running }) {
    if (running) { setState('running'); message('Training… the page stays usable.'); }
    else if (['running', 'configured'].includes(ui.state)) { setState('paused'); message(`Paused at step ${ui.step}.`); }
  },
  stats({ stats, step, epoch, epochProgress, steps, ms }) {
    const first = step - steps + 1;
    for (let i = 0; i < steps; i++) {
      const s = stats.subarray(i * 4, i * 4 + 4);
      ui.points.push([first + i, s[0], s[1], s[2], s[3]]);
    }
    ui.step = step;
    ui.ipsWindow.push({ images: steps * ui.batch, ms });
    if (ui.ipsWindow.length > 10) ui.ipsWindow.shift();
    const img = ui.ipsWindow.reduce((a, w) => a + w.images, 0), t = ui.ipsWindow.reduce((a, w) => a + w.ms, 0);
    ui.ips = img / (t / 1000);
    $('step-count').textContent = String(step);
    $('epoch-count').textContent = String(epoch);
    $('ips').textContent = ui.ips >= 100 ? ui.ips.toFixed(0) : ui.ips.toFixed(1);
    progressBar($('epoch-progress'), epochProgress, `epoch ${epoch}: ${Math.floor(epochProgress * 100)}%`);
    if (ui.state === 'configured') setState('paused');
    redraw();
  },
  samples({ width, height, rgba }) {
    const c = $('samples');
    c.width = width; c.height = height;
    c.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
    ui.samplesStep = ui.step;
    ui.samplesVersion++;
    $('samples-step').textContent = `samples at step ${ui.step}`;
    $('save').disabled = false;
  },
  lr() { message('Learning rates updated for the running training.'); },
  error({ message: text }) {
    message(`Error: ${text}`, true);
    if (ui.state === 'loading') { $('backend').textContent = 'Backend: failed'; $('backend').dataset.state = 'error'; }
    else setState(ui.state === 'running' ? 'paused' : ui.state);
  },
  // ----- style transfer -----
  styleImage({ role, name, width, height, preview }) {
    ui.style.images[role] = { name, width, height };
    const c = $(`preview-${role}`);
    c.width = preview.width; c.height = preview.height;
    c.getContext('2d').putImageData(new ImageData(preview.rgba, preview.width, preview.height), 0, 0);
    $(`info-${role}`).textContent = `${name} — ${width}×${height}`;
    $(`err-${role}`).textContent = '';
    styleMessage(ui.style.images.content && ui.style.images.style ? 'Ready: press Run.' : `Now choose the ${role === 'content' ? 'style image' : 'content photo'}.`);
    setStyleState(ui.style.state === 'error' ? 'idle' : ui.style.state);
  },
  styleImageError({ role, name, message: text }) {
    const kept = ui.style.images[role] ? ` (still using ${ui.style.images[role].name})` : '';
    $(`err-${role}`).textContent = `${name}: ${text}${kept}`;
    styleMessage(`That ${role === 'content' ? 'photo' : 'style image'} could not be used: ${text}`, true);
  },
  styleValidated({ errors }) { showFieldErrors(errors, STYLE_FIELDS); },
  styleConfigured({ ok, errors, width, height, iterations }) {
    showFieldErrors(errors, STYLE_FIELDS);
    if (!ok) { styleMessage('Fix the highlighted settings, then press Run.', true); setStyleState('idle'); return; }
    Object.assign(ui.style, { iteration: 0, iterations, points: [], ipsWindow: [], width, height });
    styleProgress();
    redraw();
  },
  styleRunning({ running, done }) {
    if (running) { setStyleState('running'); styleMessage('Repainting… the result updates every few iterations.'); }
    else if (done) { setStyleState('done'); styleMessage(`Done: ${ui.style.iteration} iterations. Download the result, or change settings and run again.`); }
    else if (ui.style.state === 'running' || ui.style.state === 'starting') { setStyleState('stopped'); styleMessage(`Stopped at iteration ${ui.style.iteration}.`); }
  },
  styleStats({ stats, iteration, n, ms }) {
    const first = iteration - n + 1;
    for (let i = 0; i < n; i++) ui.style.points.push([first + i, ...stats.subarray(i * 4, i * 4 + 4)]);
    ui.style.iteration = iteration;
    ui.style.ipsWindow.push({ n, ms });
    if (ui.style.ipsWindow.length > 10) ui.style.ipsWindow.shift();
    styleProgress();
    redraw();
  },
  styleOutput({ width, height, rgba }) {
    const c = $('style-output');
    c.width = width; c.height = height;
    c.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
    ui.style.outputVersion++;
    ui.style.outputIteration = ui.style.iteration;
    if (ui.style.iteration === 0) ui.style.start = { width, height, rgba: Array.from(rgba) };
    $('style-download').disabled = false;
  },
  styleError({ message: text }) {
    styleMessage(`Error: ${text}`, true);
    setStyleState(ui.style.state === 'running' ? 'stopped' : 'idle');
  },
};

worker.onmessage = (e) => { const h = on[e.data.type]; if (h) h(e.data); };
worker.onerror = (e) => { message(`The worker failed: ${e.message || 'see the console'}`, true); $('backend').dataset.state = 'error'; };

function loadDataset() {
  setState('loading');
  message(`Loading ${$('dataset').selectedOptions[0].textContent}…`);
  send('dataset', { name: $('dataset').value });
}

function validate() { if (ui.dataset) send('validate', { values: values() }); }

// ---------- controls ----------
$('dataset').addEventListener('change', loadDataset);
for (const f of FIELDS) $(f).addEventListener('input', () => {
  validate();
  if (['lr_g', 'lr_d'].includes(f) && ['running', 'paused'].includes(ui.state)) {
    const g = Number($('lr_g').value), d = Number($('lr_d').value);
    if (g > 0 && g <= 1 && d > 0 && d <= 1) send('lr', { lr_g: g, lr_d: d });
  }
});
$('model').addEventListener('change', validate);
$('train').addEventListener('click', () => {
  if (ui.state === 'ready') { setState('loading'); send('configure', { values: values(), start: true }); }
  else send('train');
});
$('pause').addEventListener('click', () => {
  $('pause').disabled = true;
  message('Pausing after the current steps finish…');
  send('pause');
});
$('step').addEventListener('click', () => {
  if (ui.state === 'ready') send('configure', { values: values(), start: false });
  send('step');
  message('One step.');
});
$('reset').addEventListener('click', () => {
  send('pause');
  clearRun();
  ui.samplesStep = -1;
  $('samples').getContext('2d').clearRect(0, 0, $('samples').width, $('samples').height);
  $('samples-step').textContent = 'no samples yet';
  setState('ready');
  message('Reset. Change the settings if you like, then press Train.');
});
$('smoothing').addEventListener('input', () => { $('smoothing-value').textContent = Number($('smoothing').value).toFixed(2); redraw(); });
$('save').addEventListener('click', () => {
  const src = $('samples'), scale = 4;
  const big = document.createElement('canvas');
  big.width = src.width * scale; big.height = src.height * scale;
  const ctx = big.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(src, 0, 0, big.width, big.height);
  big.toBlob((blob) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `easel-${ui.dataset}-step${ui.samplesStep}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }, 'image/png');
});

// ---------- style transfer ----------
const STYLE_FIELDS = ['style_size', 'content_weight', 'style_weight', 'tv_weight', 'iterations', 'style_init'];

function styleValues() {
  return {
    size: $('style_size').value, content_weight: $('content_weight').value, style_weight: $('style_weight').value,
    tv_weight: $('tv_weight').value, iterations: $('iterations').value, init: $('style_init').value,
    keep_colors: $('keep_colors').checked,
  };
}

function styleMessage(text, isError = false) {
  $('style-message').textContent = text;
  $('style-message').classList.toggle('error', isError);
}

function setStyleState(s) {
  ui.style.state = s;
  const haveBoth = !!(ui.style.images.content && ui.style.images.style);
  const busy = s === 'running' || s === 'starting';
  $('style-run').disabled = !ui.backend || busy || !haveBoth;
  $('style-run').textContent = s === 'stopped' ? 'Run again' : 'Run';
  $('style-stop').disabled = !busy;
  $('style-example').disabled = !ui.backend || busy;
  for (const id of ['file-content', 'file-style']) $(id).disabled = !ui.backend || busy;
}

function styleProgress() {
  const st = ui.style;
  const n = st.ipsWindow.reduce((a, w) => a + w.n, 0), ms = st.ipsWindow.reduce((a, w) => a + w.ms, 0);
  st.ips = n && ms ? n / (ms / 1000) : 0;
  const rate = st.ips ? ` · ${st.ips >= 10 ? st.ips.toFixed(0) : st.ips.toFixed(2)} it/s` : '';
  progressBar($('style-progress'), st.iterations ? st.iteration / st.iterations : 0, `iteration ${st.iteration} / ${st.iterations}${rate}`);
}

function readFile(role, file) {
  if (!ui.backend) return;
  $(`err-${role}`).textContent = '';
  $(`info-${role}`).textContent = `reading ${file.name}…`;
  file.arrayBuffer().then(
    (buf) => worker.postMessage({ type: 'styleImage', role, name: file.name, bytes: buf }, [buf]),
    (e) => on.styleImageError({ role, name: file.name, message: `the browser could not read the file (${e.message})` }),
  );
}

for (const role of ['content', 'style']) {
  $(`file-${role}`).addEventListener('change', (e) => { const f = e.target.files[0]; if (f) readFile(role, f); e.target.value = ''; });
  const zone = $(`drop-${role}`);
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault(); zone.classList.remove('over');
    const f = e.dataTransfer.files[0];
    if (!f) { $(`err-${role}`).textContent = 'Drop an image file (not a link or text).'; return; }
    if (ui.style.state === 'running' || ui.style.state === 'starting') { $(`err-${role}`).textContent = 'Stop the running transfer first.'; return; }
    readFile(role, f);
  });
}
$('style-example').addEventListener('click', () => { styleMessage('Loading the example pair…'); send('styleExample'); });
for (const f of STYLE_FIELDS) $(f).addEventListener(f.endsWith('size') || f.endsWith('init') ? 'change' : 'input', () => { if (ui.backend) send('styleValidate', { values: styleValues() }); });
$('style-run').addEventListener('click', () => {
  setStyleState('starting');
  styleMessage(ui.style.iteration ? 'Starting a new run…' : 'Starting (the first run loads the 19 MB feature network)…');
  send('styleStart', { values: styleValues() });
});
$('style-stop').addEventListener('click', () => { $('style-stop').disabled = true; send('styleStop'); });
$('style-download').addEventListener('click', () => {
  $('style-output').toBlob((blob) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    const base = (ui.style.images.content?.name || 'photo').replace(/\.[^.]*$/, '');
    a.download = `easel-${base}-styled-${ui.style.outputIteration}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }, 'image/png');
});

// ---------- tabs ----------
function showTab(name) {
  for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
  $('tab-train').hidden = name !== 'train';
  $('tab-style').hidden = name !== 'style';
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  redraw();
}
for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab));
showTab(location.hash === '#style' ? 'style' : 'train');

setState('loading');
setStyleState('idle');
redraw();
