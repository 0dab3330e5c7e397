// Easel page: controls, charts and the sample grid. Training runs in www/worker.js.
const $ = (id) => document.getElementById(id);
const FIELDS = ['batch_size', 'latent', 'lr_g', 'lr_d', 'beta1', 'real_label', 'd_steps', 'skip_d_below'];
const SELECTS = ['model', 'loss'];
// What may change while a run trains (Rust checks the values: Session.setLive).
const LIVE = ['lr_g', 'lr_d', 'real_label', 'd_steps', 'skip_d_below'];
const params = new URLSearchParams(location.search);

const ui = {
  state: 'loading',      // loading | nodata | ready | configured | running | paused | error
  dataset: null,         // name of the loaded data set ('mnist', 'fashion', 'own images (N)')
  step: 0,
  points: [],            // [step, dLoss, gLoss, dX, dGZ, skipped]
  diversity: [],         // [step, samples, real]
  skipped: 0,
  ipsWindow: [],         // recent {images, ms}
  batch: 64,
  samplesStep: -1,
  samplesVersion: 0,
  grid: null,            // {tile, gap} of the sample grid
  selected: [],          // grid samples picked for the latent walk
  interpVersion: 0,
  own: { files: [], count: 0, skipped: [], size: 32, busy: false },
  checkpointVersion: 0,
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
  const v = { flip: $('flip').checked };
  for (const f of [...FIELDS, ...SELECTS]) v[f] = $(f).value;
  return v;
}

function message(text, isError = false) {
  $('message').textContent = text;
  $('message').classList.toggle('error', isError);
}

function note(id, text, isError = false) {
  $(id).textContent = text;
  $(id).classList.toggle('error', isError);
}

function showFieldErrors(errors, fields = [...FIELDS, ...SELECTS]) {
  for (const f of fields) {
    $(f).classList.remove('invalid');
    const span = document.querySelector(`.err[data-for="${f}"]`);
    if (span) span.textContent = '';
  }
  for (const e of errors) {
    const span = document.querySelector(`.err[data-for="${e.field}"]`);
    if (span) span.textContent = span.textContent ? `${span.textContent} ${e.message}` : e.message;
    if ($(e.field)) $(e.field).classList.add('invalid');
  }
}

const hasRun = (s = ui.state) => ['configured', 'running', 'paused'].includes(s);

function setState(s) {
  ui.state = s;
  const has = hasRun(s);
  $('train').disabled = !['ready', 'configured', 'paused'].includes(s);
  $('train').textContent = s === 'paused' ? 'Resume' : 'Train';
  $('pause').disabled = s !== 'running';
  $('step').disabled = !['ready', 'configured', 'paused'].includes(s);
  $('reset').disabled = !has;
  $('save').disabled = ui.samplesStep < 0;
  $('ckpt-save').disabled = !has;
  $('timelapse').disabled = !has || ui.samplesStep < 0;
  $('resample').disabled = !has || !ui.selected.length;
  const canResume = ['ready', 'configured', 'paused', 'nodata'].includes(s) && !ui.own.busy;
  $('ckpt-file').disabled = !canResume;
  $('ckpt-label').classList.toggle('disabled', !canResume);
  // The run's shape is fixed once it exists; the balancing tricks stay adjustable.
  const locked = has || s === 'loading';
  for (const id of ['dataset', 'model', 'batch_size', 'latent', 'beta1', 'loss', 'flip', 'own_size', 'own-clear']) $(id).disabled = locked || ui.own.busy;
  for (const id of ['file-own', 'folder-own']) {
    $(id).disabled = locked || ui.own.busy;
    $(id).parentElement.classList.toggle('disabled', locked || ui.own.busy);
  }
}

function progressBar(el, frac, label) {
  el.querySelector('.bar').style.width = `${Math.round(Math.min(1, Math.max(0, frac)) * 100)}%`;
  el.querySelector('span').textContent = label;
}

function download(bytes, name, type) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
}

const safeName = (s) => String(s).replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();

// ---------- charts ----------
function smooth(series, alpha) {
  const out = [];
  let m = null;
  for (const v of series) { m = m === null ? v : alpha * m + (1 - alpha) * v; out.push(m); }
  return out;
}

// points: [[x, ...]]; lines: [{name, color, raw, dash, noSmooth}]; opts: {yFixed: [lo, hi], yMin, log, unit}.
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
  if (opts.yMin !== undefined) lo = Math.min(lo, opts.yMin);
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
    const passes = l.noSmooth ? [[l.raw, 2, 1]] : [[l.raw, 1, 0.25], [smooth(l.raw, alpha), 2, 1]];
    for (const [series, width, a] of passes) {
      ctx.strokeStyle = l.color; ctx.fillStyle = l.color; ctx.globalAlpha = a; ctx.lineWidth = width;
      ctx.setLineDash(l.dash ? [6, 4] : []);
      ctx.beginPath();
      for (let i = 0; i < n; i += every) {
        const x = X(points[i][0]), y = Y(series[i]);
        i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      }
      ctx.stroke();
      if (n === 1) { ctx.beginPath(); ctx.arc(X(points[0][0]), Y(series[0]), 3, 0, 2 * Math.PI); ctx.fill(); }
    }
    ctx.setLineDash([]);
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
    const lsgan = $('loss').value === 'lsgan';
    drawChart($('chart-d'), ui.points, [
      { name: lsgan ? 'D(x) score' : 'D(x)', color: '#7bd88f', raw: col(3) },
      { name: lsgan ? 'D(G(z)) score' : 'D(G(z))', color: '#c792ea', raw: col(4) },
    ], lsgan ? {} : { yFixed: [0, 1] });
    drawChart($('chart-div'), ui.diversity, [
      { name: 'samples', color: '#ffc46b', raw: ui.diversity.map((p) => p[1]), noSmooth: true },
      { name: 'real data', color: '#9aa0ad', raw: ui.diversity.map((p) => p[2]), dash: true, noSmooth: true },
    ], { yMin: 0 });
    const sc = (k) => ui.style.points.map((p) => p[k]);
    drawChart($('chart-style'), ui.style.points, [
      { name: 'content', color: '#7bd88f', raw: sc(2) },
      { name: 'style', color: '#c792ea', raw: sc(3) },
      { name: 'TV', color: '#ffc46b', raw: sc(4) },
    ], { log: true, unit: 'iteration' });
  });
}

// Counters, charts and throughput back to a run that has not stepped yet.
function clearRun(step = 0) {
  ui.points = []; ui.ipsWindow = []; ui.step = step; ui.diversity = []; ui.skipped = 0; ui.selected = [];
  $('skipped-count').textContent = '0';
  $('step-count').textContent = String(step); $('epoch-count').textContent = '0'; $('ips').textContent = '–';
  $('interp').height = 0; $('interp-info').textContent = 'pick two samples';
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
  ready({ backend, note: text }) {
    const b = $('backend');
    b.textContent = backend === 'WebGPU' ? 'Backend: WebGPU' : 'Backend: CPU (wasm)';
    b.dataset.state = backend === 'WebGPU' ? 'webgpu' : 'cpu';
    ui.backend = backend;
    $('backend-note').hidden = !text;
    $('backend-note').textContent = text;
    setStyleState(ui.style.state);
    loadDataset();
  },
  dataset({ name, info, quiet }) {
    if (ui.readyAt === undefined) ui.readyAt = performance.now();   // for bench/compare.mjs
    ui.dataset = name;
    $('dataset').value = name;
    $('own-panel').hidden = true;
    if ($('model').value !== 'dense') $('model').value = info.model;
    if (!quiet) message(`${info.count.toLocaleString()} images of ${info.width}×${info.height} loaded. Press Train.`);
    setState('ready');
    validate();
  },
  ownProgress({ done, total, name }) {
    $('own-progress').hidden = false;
    progressBar($('own-progress'), done / total, `preparing ${done} / ${total}: ${name}`);
  },
  ownDataset(r) {
    ui.own.busy = false;
    $('own-progress').hidden = true;
    ui.own.count = r.count;
    ui.own.skipped = r.skipped;
    const list = $('own-skipped');
    list.textContent = '';
    for (const s of r.skipped) {
      const li = document.createElement('li');
      const b = document.createElement('b');
      b.textContent = s.name;
      li.append(b, `: ${s.why}`);
      list.append(li);
    }
    $('own-skipped-box').hidden = !r.skipped.length;
    $('own-skipped-title').textContent = `${r.skipped.length} file${r.skipped.length === 1 ? '' : 's'} skipped — why`;
    if (!r.ok) {
      note('own-summary', `${r.message}.`, true);
      $('own-preview').height = 0;
      ui.dataset = null;
      setState('nodata');
      message('Add your images to train on them.');
      return;
    }
    const c = $('own-preview');
    c.width = r.preview.width; c.height = r.preview.height;
    c.getContext('2d').putImageData(new ImageData(r.preview.rgba, r.preview.width, r.preview.height), 0, 0);
    note('own-summary', `${r.count} image${r.count === 1 ? '' : 's'} ready at ${r.width}×${r.height}${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}. The grid shows ${Math.min(64, r.count)} of them as the GAN sees them.`);
    ui.dataset = r.name;
    if ($('model').value !== 'dense') $('model').value = r.model;
    // A small set: a batch no larger than the set (the user can still change it).
    if (Number($('batch_size').value) > r.count) $('batch_size').value = String(Math.max(2, Math.min(64, r.count)));
    message(`${r.count} of your images loaded. Press Train.`);
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
    if (running) { setState('running'); message('Training… the page stays usable.'); if (ui.trainStartedAt === undefined) ui.trainStartedAt = performance.now(); }
    else if (['running', 'configured'].includes(ui.state)) { setState('paused'); message(`Paused at step ${ui.step}.`); }
  },
  stats({ stats, step, epoch, epochProgress, steps, ms }) {
    const n = stats.length / 5, first = step - n + 1;
    for (let i = 0; i < n; i++) {
      const s = stats.subarray(i * 5, i * 5 + 5);
      ui.points.push([first + i, s[0], s[1], s[2], s[3], s[4]]);
      ui.skipped += s[4];
    }
    ui.step = step;
    ui.lastStatsAt = performance.now();
    if (ui.firstStatsAt === undefined) ui.firstStatsAt = ui.lastStatsAt;
    ui.ipsWindow.push({ images: steps * ui.batch, ms });
    if (ui.ipsWindow.length > 10) ui.ipsWindow.shift();
    const img = ui.ipsWindow.reduce((a, w) => a + w.images, 0), t = ui.ipsWindow.reduce((a, w) => a + w.ms, 0);
    ui.ips = img / (t / 1000);
    $('step-count').textContent = String(step);
    $('epoch-count').textContent = String(epoch);
    $('skipped-count').textContent = String(ui.skipped);
    $('ips').textContent = ui.ips >= 100 ? ui.ips.toFixed(0) : ui.ips.toFixed(1);
    progressBar($('epoch-progress'), epochProgress, `epoch ${epoch}: ${Math.floor(epochProgress * 100)}%`);
    if (ui.state === 'configured') setState('paused');
    redraw();
  },
  samples({ width, height, rgba, tile, gap, step, diversity, realDiversity }) {
    const c = $('samples');
    c.width = width; c.height = height;
    ui.grid = { tile, gap, rgba: new ImageData(rgba, width, height) };
    drawGrid();
    ui.samplesStep = step;
    ui.samplesVersion++;
    const last = ui.diversity[ui.diversity.length - 1];
    if (last && last[0] === step) ui.diversity[ui.diversity.length - 1] = [step, diversity, realDiversity];
    else ui.diversity.push([step, diversity, realDiversity]);
    $('samples-step').textContent = `samples at step ${step} · diversity ${diversity.toFixed(3)} (real data ${realDiversity.toFixed(3)})`;
    setState(ui.state);
    redraw();
  },
  interpolated({ a, b, width, height, rgba }) {
    const c = $('interp');
    c.width = width; c.height = height;
    c.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
    ui.interpVersion++;
    $('interp-info').textContent = `from sample ${a + 1} to sample ${b + 1}, along the great circle between their noise vectors`;
  },
  live({ errors }) {
    showFieldErrors(errors, LIVE);
    if (!errors.length) message('Changed for the running training.');
  },
  checkpoint({ bytes }) {
    ui.checkpointVersion++;
    download(bytes, `easel-${safeName(ui.dataset)}-step${ui.step}.safetensors`, 'application/octet-stream');
    note('ckpt-message', `Checkpoint of step ${ui.step} downloaded (${(bytes.length / 1048576).toFixed(1)} MB).`);
  },
  resumed({ info, name }) {
    for (const [k, v] of Object.entries(info.settings)) {
      if (k === 'flip') $('flip').checked = v;
      else if ($(k)) $(k).value = v;
    }
    ui.batch = Number(info.settings.batch_size);
    clearRun(info.step);
    $('epoch-count').textContent = String(info.epoch);
    progressBar($('epoch-progress'), 0, `epoch ${info.epoch}`);
    showFieldErrors([]);
    setState('paused');
    message(`Resumed at step ${info.step}. Press Resume to go on training.`);
    note('ckpt-message', `Resumed ${name}: step ${info.step}, trained on ${info.data}.`);
  },
  ckptError({ message: text, name }) {
    note('ckpt-message', `${name ? name + ': ' : ''}${text}`, true);
    setState(ui.state === 'running' ? 'paused' : ui.state);
  },
  timelapse({ bytes }) {
    download(bytes, `easel-${safeName(ui.dataset)}-timelapse.gif`, 'image/gif');
    note('ckpt-message', `Timelapse GIF downloaded (${(bytes.length / 1024).toFixed(0)} KB).`);
  },
  error({ message: text }) {
    ui.own.busy = false;
    message(`Error: ${text}`, true);
    if (ui.state === 'loading' && !ui.backend) { $('backend').textContent = 'Backend: failed'; $('backend').dataset.state = 'error'; }
    else setState(ui.state === 'running' ? 'paused' : ui.state === 'loading' ? (ui.dataset ? 'ready' : 'nodata') : ui.state);
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
    ui.style.lastStatsAt = performance.now();
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
  if ($('dataset').value === 'own') {
    $('own-panel').hidden = false;
    if (ui.own.count >= 2) { setState('loading'); send('ownUse'); }
    else { ui.dataset = null; setState('nodata'); message('Add your images: pick files or a folder, or drop them on the box.'); }
    return;
  }
  $('own-panel').hidden = true;
  setState('loading');
  message(`Loading ${$('dataset').selectedOptions[0].textContent}…`);
  send('dataset', { name: $('dataset').value });
}

function validate() { if (ui.dataset) send('validate', { values: values() }); }

// The sample grid and the samples picked for the latent walk.
function drawGrid() {
  if (!ui.grid) return;
  const ctx = $('samples').getContext('2d');
  ctx.putImageData(ui.grid.rgba, 0, 0);
  const { tile, gap } = ui.grid;
  ui.selected.forEach((i, k) => {
    const x = gap + (i % 8) * (tile + gap), y = gap + Math.floor(i / 8) * (tile + gap);
    ctx.strokeStyle = k ? '#c792ea' : '#ffc46b'; ctx.lineWidth = Math.max(1, tile / 16);
    ctx.strokeRect(x - 0.5, y - 0.5, tile + 1, tile + 1);
  });
}

function addOwnFiles(files, reset = false) {
  if (!files.length) return;
  if (!ui.backend) return;
  if (reset) ui.own.files = [];
  ui.own.files.push(...files);
  ui.own.busy = true;
  setState('loading');
  note('own-summary', `Preparing ${files.length} file${files.length === 1 ? '' : 's'}…`);
  send('ownImages', { files, size: Number($('own_size').value), reset: reset || ui.own.count === 0 && ui.own.skipped.length === 0 });
}

// A dropped folder arrives as directory entries: walk them for files.
async function droppedFiles(items) {
  const out = [];
  const walk = async (entry, prefix) => {
    if (entry.isFile) {
      const f = await new Promise((res, rej) => entry.file(res, rej));
      out.push(new File([f], prefix + f.name, { type: f.type, lastModified: f.lastModified }));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const entry of items.map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean)) await walk(entry, '');
  return out;
}

// ---------- controls ----------
$('dataset').addEventListener('change', loadDataset);
for (const f of FIELDS) $(f).addEventListener('input', () => {
  if (LIVE.includes(f) && hasRun()) send('live', { values: values() });
  else validate();
});
for (const f of SELECTS) $(f).addEventListener('change', () => { validate(); redraw(); });
$('flip').addEventListener('change', validate);
$('train').addEventListener('click', () => {
  if (ui.state === 'ready') { setState('loading'); send('configure', { values: values(), start: true }); }
  else send('train');
});
$('pause').addEventListener('click', () => {
  $('pause').disabled = true;
  message('Pausing after the current steps finish…');
  send('pause', { refresh: true });
});
$('step').addEventListener('click', () => {
  if (ui.state === 'ready') send('configure', { values: values(), start: false });
  send('step');
  message('One step.');
});
$('reset').addEventListener('click', () => {
  send('pause');
  clearRun();
  ui.samplesStep = -1; ui.grid = null;
  $('samples').getContext('2d').clearRect(0, 0, $('samples').width, $('samples').height);
  $('samples-step').textContent = 'no samples yet';
  setState(ui.dataset ? 'ready' : 'nodata');
  message('Reset. Change the settings if you like, then press Train.');
});
$('smoothing').addEventListener('input', () => { $('smoothing-value').textContent = Number($('smoothing').value).toFixed(2); redraw(); });
$('save').addEventListener('click', () => {
  // The grid without the selection marks, 4x with hard pixel edges.
  const small = document.createElement('canvas'), scale = 4;
  small.width = ui.grid.rgba.width; small.height = ui.grid.rgba.height;
  small.getContext('2d').putImageData(ui.grid.rgba, 0, 0);
  const big = document.createElement('canvas');
  big.width = small.width * scale; big.height = small.height * scale;
  const ctx = big.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, big.width, big.height);
  big.toBlob((blob) => blob.arrayBuffer().then((b) => download(b, `easel-${safeName(ui.dataset)}-step${ui.samplesStep}.png`, 'image/png')), 'image/png');
});
$('samples').addEventListener('click', (e) => {
  if (!ui.grid || !hasRun()) return;
  const c = $('samples'), r = c.getBoundingClientRect();
  const x = (e.clientX - r.left) * c.width / r.width, y = (e.clientY - r.top) * c.height / r.height;
  const { tile, gap } = ui.grid;
  const col = Math.floor((x - gap / 2) / (tile + gap)), row = Math.floor((y - gap / 2) / (tile + gap));
  if (col < 0 || col > 7 || row < 0 || row > 7) return;
  const i = row * 8 + col;
  ui.selected = ui.selected.length === 1 && ui.selected[0] !== i ? [ui.selected[0], i] : [i];
  drawGrid();
  setState(ui.state);
  if (ui.selected.length === 2) {
    $('interp-info').textContent = 'walking…';
    send('interpolate', { a: ui.selected[0], b: ui.selected[1] });
  } else $('interp-info').textContent = `sample ${i + 1} picked: now pick a second one`;
});
$('resample').addEventListener('click', () => {
  const i = ui.selected[ui.selected.length - 1];
  if (i === undefined) return;
  send('resample', { i });
  if (ui.selected.length === 2) send('interpolate', { a: ui.selected[0], b: ui.selected[1] });
});
$('ckpt-save').addEventListener('click', () => { note('ckpt-message', 'Saving…'); send('checkpoint'); });
$('ckpt-file').addEventListener('change', (e) => {
  const f = e.target.files[0];
  e.target.value = '';
  if (!f) return;
  if (ui.state === 'running') send('pause');
  note('ckpt-message', `Reading ${f.name}…`);
  send('resumeFile', { file: f });
});
$('timelapse').addEventListener('click', () => { note('ckpt-message', 'Encoding the GIF…'); send('timelapse'); });

// Own images: files, a folder, or a drop of either.
$('file-own').addEventListener('change', (e) => { addOwnFiles(Array.from(e.target.files)); e.target.value = ''; });
$('folder-own').addEventListener('change', (e) => { addOwnFiles(Array.from(e.target.files)); e.target.value = ''; });
$('own_size').addEventListener('change', () => {
  // Prepare the same files again at the new size.
  if (ui.own.files.length) addOwnFiles(ui.own.files.splice(0), true);
  else send('ownClear', { size: Number($('own_size').value) });
});
$('own-clear').addEventListener('click', () => {
  ui.own = { files: [], count: 0, skipped: [], size: Number($('own_size').value), busy: false };
  send('ownClear', { size: ui.own.size });
  $('own-preview').height = 0;
  $('own-skipped-box').hidden = true;
  note('own-summary', 'No images yet.');
  ui.dataset = null;
  setState('nodata');
});
{
  const zone = $('drop-own');
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', async (e) => {
    e.preventDefault(); zone.classList.remove('over');
    if (hasRun() || ui.own.busy) { note('own-summary', 'Reset the training run before changing the images.', true); return; }
    const items = Array.from(e.dataTransfer.items || []);
    const files = items.some((i) => i.webkitGetAsEntry) ? await droppedFiles(items) : Array.from(e.dataTransfer.files);
    if (!files.length) { note('own-summary', 'Drop image files or a folder (not a link or text).', true); return; }
    addOwnFiles(files);
  });
}

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
