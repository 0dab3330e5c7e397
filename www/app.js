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

function showFieldErrors(errors) {
  for (const el of document.querySelectorAll('.err')) el.textContent = '';
  for (const f of FIELDS) $(f).classList.remove('invalid');
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

function drawChart(canvas, lines, yFixed) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height, L = 40, R = 8, T = 8, B = 20;
  ctx.clearRect(0, 0, W, H);
  const n = ui.points.length;
  ctx.font = '11px system-ui'; ctx.fillStyle = '#9aa0ad';
  if (!n) { ctx.fillText('no steps yet', W / 2 - 30, H / 2); return; }
  let lo = yFixed ? yFixed[0] : Infinity, hi = yFixed ? yFixed[1] : -Infinity;
  if (!yFixed) for (const l of lines) for (const v of l.raw) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi > lo)) { hi = lo + 1; }
  const x0 = ui.points[0][0], x1 = Math.max(ui.points[n - 1][0], x0 + 1);
  const X = (s) => L + (W - L - R) * (s - x0) / (x1 - x0);
  const Y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  ctx.strokeStyle = '#2a2f3c'; ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const v = lo + (hi - lo) * i / 4, y = Y(v);
    ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(W - R, y); ctx.stroke();
    ctx.fillText(v.toFixed(2), 2, y + 4);
  }
  ctx.fillText(`step ${x0}`, L, H - 5);
  ctx.fillText(`${x1}`, W - R - 30, H - 5);
  const alpha = Number($('smoothing').value);
  lines.forEach((l, k) => {
    // Long runs: draw at most ~2 points per pixel column (smoothing still sees every step).
    const every = Math.max(1, Math.floor(n / (2 * (W - L - R))));
    for (const [series, width, a] of [[l.raw, 1, 0.25], [smooth(l.raw, alpha), 2, 1]]) {
      ctx.strokeStyle = l.color; ctx.globalAlpha = a; ctx.lineWidth = width;
      ctx.beginPath();
      for (let i = 0; i < n; i += every) {
        const x = X(ui.points[i][0]), y = Y(series[i]);
        i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1; ctx.fillStyle = l.color;
    ctx.fillText(`${l.name} ${l.raw[n - 1].toFixed(3)}`, L + 8 + k * 130, T + 12);
  });
}

let drawPending = false;
function redraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    const col = (k) => ui.points.map((p) => p[k]);
    drawChart($('chart-loss'), [
      { name: 'D loss', color: '#ff8a65', raw: col(1) },
      { name: 'G loss', color: '#6cb6ff', raw: col(2) },
    ]);
    drawChart($('chart-d'), [
      { name: 'D(x)', color: '#7bd88f', raw: col(3) },
      { name: 'D(G(z))', color: '#c792ea', raw: col(4) },
    ], [0, 1]);
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
  progress({ what, got, total, done }) {
    const el = $('data-progress');
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

setState('loading');
redraw();
