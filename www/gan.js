// The "Train a GAN" tab: data (built-in or your own images), training controls, charts, the
// sample grid, latent walk, checkpoints and the timelapse. Settings live in state.js; the
// training itself runs in the worker.
import { $, note, progressBar, download, safeName, dropZone } from './dom.js';
import { drawChart } from './chart.js';
import { send, listen, session } from './channel.js';
import { state, fields, buildFields, setValue, showFieldErrors, saveToUrl } from './state.js';

export const gan = {
  state: 'loading',      // loading | nodata | ready | configured | running | paused | diverged | error
  dataset: null,         // name of the loaded data set ('mnist', 'fashion', 'own images (N)')
  step: 0,
  points: [],            // {step, d_loss, g_loss, d_real, d_fake, d_skipped}
  diversity: [],         // [step, samples, real]
  quality: [],           // [step, classifier score, classes covered, real score]
  fd: [],                // [step, Fréchet distance]
  judge: null,           // {accuracy, realScore, realClasses, classNames} of the set's classifier
  judgeWhy: '',          // why there is no quality chart
  predictions: null,     // {classes, confidences} of the grid's samples
  skipped: 0,
  ipsWindow: [],         // recent {images, ms}
  batch: 64,
  samplesStep: -1,
  samplesVersion: 0,
  grid: null,            // {tile, gap, cols, rgba} of the sample grid
  selected: [],          // grid samples picked for the latent walk
  interpVersion: 0,
  own: { files: [], count: 0, skipped: [], size: 32, busy: false },
  checkpointVersion: 0,
  keepModel: false,      // the user or a link chose the model: a data set it fits keeps it
  model: null,           // the model the live settings' defaults were last set for
  modelDefaults: {},     // model -> {live field: default text}, from Rust
};

const values = () => ({ ...state.gan });
const message = (text, isError = false) => note('message', text, isError);
const hasRun = (s = gan.state) => ['configured', 'running', 'paused', 'diverged'].includes(s);

export function setState(s) {
  gan.state = s;
  const has = hasRun(s);
  $('train').disabled = !['ready', 'configured', 'paused'].includes(s);
  $('train').textContent = s === 'paused' ? 'Resume' : 'Train';
  $('pause').disabled = s !== 'running';
  $('step').disabled = !['ready', 'configured', 'paused'].includes(s);
  $('reset').disabled = !has;
  $('save').disabled = gan.samplesStep < 0;
  $('ckpt-save').disabled = !has || s === 'diverged';
  $('timelapse').disabled = !has || gan.samplesStep < 0;
  $('resample').disabled = !has || !gan.selected.length;
  const canResume = ['ready', 'configured', 'paused', 'diverged', 'nodata'].includes(s) && !gan.own.busy;
  $('diverged-box').hidden = s !== 'diverged';
  $('ckpt-file').disabled = !canResume;
  $('ckpt-label').classList.toggle('disabled', !canResume);
  // The run's shape is fixed once it exists; the live settings stay adjustable.
  const locked = has || s === 'loading' || gan.own.busy;
  for (const f of fields.gan) if (!f.live) $(f.name).disabled = locked;
  for (const id of ['dataset', 'own_size', 'own-clear']) $(id).disabled = locked;
  for (const id of ['file-own', 'folder-own']) {
    $(id).disabled = locked;
    $(id).parentElement.classList.toggle('disabled', locked);
  }
}

let drawPending = false;
export function redraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    const smoothing = Number($('smoothing').value);
    const steps = gan.points.map((p) => p.step);
    const col = (k) => gan.points.map((p) => p[k]);
    drawChart($('chart-loss'), steps, [
      { name: 'D loss', color: '#ff8a65', raw: col('d_loss') },
      { name: 'G loss', color: '#6cb6ff', raw: col('g_loss') },
    ], { smoothing });
    const lsgan = state.gan.loss === 'lsgan';
    drawChart($('chart-d'), steps, [
      { name: lsgan ? 'D(x) score' : 'D(x)', color: '#7bd88f', raw: col('d_real') },
      { name: lsgan ? 'D(G(z)) score' : 'D(G(z))', color: '#c792ea', raw: col('d_fake') },
    ], lsgan ? { smoothing } : { yFixed: [0, 1], smoothing });
    drawChart($('chart-div'), gan.diversity.map((p) => p[0]), [
      { name: 'samples', color: '#ffc46b', raw: gan.diversity.map((p) => p[1]), noSmooth: true },
      { name: 'real data', color: '#9aa0ad', raw: gan.diversity.map((p) => p[2]), dash: true, noSmooth: true },
    ], { yMin: 0 });
    drawQuality();
  });
}

// The quality charts, or why there are none.
function drawQuality() {
  const judged = Boolean(gan.judge);
  $('quality-box').hidden = !judged;
  if (!judged) { $('quality-help').textContent = gan.judgeWhy; return; }
  const steps = gan.quality.map((p) => p[0]);
  drawChart($('chart-quality'), steps, [
    { name: 'score', color: '#7bd88f', raw: gan.quality.map((p) => p[1]), noSmooth: true, digits: 2 },
    { name: 'classes', color: '#6cb6ff', raw: gan.quality.map((p) => p[2]), noSmooth: true, digits: 0 },
    { name: 'real score', color: '#9aa0ad', raw: gan.quality.map((p) => p[3]), dash: true, noSmooth: true, digits: 2 },
  ], { yFixed: [0, 10] });
  drawChart($('chart-fd'), gan.fd.map((p) => p[0]), [
    { name: 'Fréchet distance', color: '#ff8a65', raw: gan.fd.map((p) => p[1]), noSmooth: true },
  ], { yMin: 0 });
}

const QUALITY_HELP = $('quality-help').innerHTML;
// The classifier of a freshly loaded set (or why there is none).
function setJudge(judge, why) {
  gan.judge = judge || null;
  gan.judgeWhy = why;
  if (judge) $('quality-help').innerHTML = QUALITY_HELP + ` (Its accuracy on 1,000 images it never trained on: ${(judge.accuracy * 100).toFixed(1)} %; on 64 real images its score is ${judge.realScore.toFixed(2)} with ${judge.realClasses} classes covered.)`;
  redraw();
}

// Counters, charts and throughput back to a run that has not stepped yet.
function clearRun(step = 0) {
  gan.diverged = null;
  Object.assign(gan, { points: [], ipsWindow: [], step, diversity: [], quality: [], fd: [], predictions: null, skipped: 0, selected: [] });
  $('sample-class').textContent = '';
  $('skipped-count').textContent = '0';
  $('step-count').textContent = String(step); $('epoch-count').textContent = '0'; $('ips').textContent = '–';
  $('interp').height = 0; $('interp-info').textContent = 'pick two samples';
  progressBar($('epoch-progress'), 0, 'epoch 0%');
  redraw();
}

function validate() { if (gan.dataset) send('validate', { values: values() }); }

// A setting changed: the live ones go to a running run, the others are checked.
function changed(f) {
  if (f.live && hasRun()) send('live', { values: values() });
  else validate();
  if (f.name === 'loss') redraw();
  if (f.name === 'model') { gan.keepModel = true; followModel(); }
}

export function loadDataset() {
  saveToUrl();
  if (state.data === 'own') {
    $('own-panel').hidden = false;
    if (gan.own.count >= 2) { setState('loading'); send('ownUse'); }
    else { gan.dataset = null; setState('nodata'); message('Add your images: pick files or a folder, or drop them on the box.'); }
    return;
  }
  $('own-panel').hidden = true;
  setState('loading');
  message(`Loading ${$('dataset').selectedOptions[0].textContent}…`);
  send('dataset', { name: state.data });
}

// The data set's default model is chosen for it, unless the user (or a link) chose one that
// fits these images.
function fitModel(model, fits) {
  if (gan.keepModel && fits.includes(state.gan.model)) { gan.model = state.gan.model; return; }
  gan.keepModel = false;
  setValue('gan', 'model', model);
  followModel();
  saveToUrl();
}

// A new model: each live setting still at the last model's default (a text or the same
// number) moves to the new model's (the tiny DCGAN's learning rate is not the lesson's).
function followModel() {
  const prev = gan.model, next = state.gan.model;
  gan.model = next;
  const from = gan.modelDefaults[prev], to = gan.modelDefaults[next];
  if (!from || !to || prev === next) return;
  const same = (a, b) => a === b || (a !== '' && Number(a) === Number(b));
  for (const [name, text] of Object.entries(to)) {
    if (same(state.gan[name], from[name]) && !same(text, from[name])) setValue('gan', name, text);
  }
  validate();
}

// The sample grid and the samples picked for the latent walk.
function drawGrid() {
  if (!gan.grid) return;
  const ctx = $('samples').getContext('2d');
  ctx.putImageData(gan.grid.rgba, 0, 0);
  const { tile, gap, cols } = gan.grid;
  gan.selected.forEach((i, k) => {
    const x = gap + (i % cols) * (tile + gap), y = gap + Math.floor(i / cols) * (tile + gap);
    ctx.strokeStyle = k ? '#c792ea' : '#ffc46b'; ctx.lineWidth = Math.max(1, tile / 16);
    ctx.strokeRect(x - 0.5, y - 0.5, tile + 1, tile + 1);
  });
}

function addOwnFiles(files, reset = false) {
  if (!files.length || !session.backend) return;
  if (reset) gan.own.files = [];
  gan.own.files.push(...files);
  gan.own.busy = true;
  setState('loading');
  note('own-summary', `Preparing ${files.length} file${files.length === 1 ? '' : 's'}…`);
  send('ownImages', { files, size: Number($('own_size').value), reset: reset || gan.own.count === 0 && gan.own.skipped.length === 0 });
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

// What the classifier makes of grid sample i.
function showPrediction(i) {
  if (!gan.judge || !gan.predictions) { $('sample-class').textContent = ''; return; }
  const c = gan.predictions.classes[i], p = gan.predictions.confidences[i];
  $('sample-class').textContent = `sample ${i + 1}: the classifier reads “${gan.judge.classNames[c]}” (${(p * 100).toFixed(0)} % sure${p < 0.8 ? ': not confident' : ''})`;
}

// ---------- worker messages ----------
listen({
  dataset({ name, info, quiet }) {
    if (gan.readyAt === undefined) gan.readyAt = performance.now();   // for bench/compare.mjs
    gan.dataset = name;
    state.data = name;
    $('dataset').value = name;
    $('own-panel').hidden = true;
    fitModel(info.model, info.fits);
    setJudge(info.judge, info.judgeError
      ? `No quality chart: the classifier could not be loaded (${info.judgeError}). Training works without it.`
      : 'No quality chart for this data set: it has no classifier.');
    if (!quiet) message(`${info.count.toLocaleString()} images of ${info.width}×${info.height} loaded. Press Train.`);
    setState('ready');
    validate();
  },
  ownProgress({ done, total, name }) {
    $('own-progress').hidden = false;
    progressBar($('own-progress'), done / total, `preparing ${done} / ${total}: ${name}`);
  },
  ownDataset(r) {
    gan.own.busy = false;
    $('own-progress').hidden = true;
    gan.own.count = r.count;
    gan.own.skipped = r.skipped;
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
      gan.dataset = null;
      setState('nodata');
      message('Add your images to train on them.');
      return;
    }
    const c = $('own-preview');
    c.width = r.preview.width; c.height = r.preview.height;
    c.getContext('2d').putImageData(new ImageData(r.preview.rgba, r.preview.width, r.preview.height), 0, 0);
    note('own-summary', `${r.count} image${r.count === 1 ? '' : 's'} ready at ${r.width}×${r.height}${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}. The grid shows ${Math.min(64, r.count)} of them as the GAN sees them.`);
    gan.dataset = r.name;
    fitModel(r.model, r.fits);
    setJudge(null, 'No quality chart for your own images: judging samples needs a classifier trained on labelled images of the same kind, and yours have no labels. The mode-collapse meter above still works.');
    // A small set: a batch no larger than the set (the user can still change it).
    if (Number(state.gan.batch_size) > r.count) setValue('gan', 'batch_size', String(Math.max(2, Math.min(64, r.count))));
    saveToUrl();
    message(`${r.count} of your images loaded. Press Train.`);
    setState('ready');
    validate();
  },
  validated({ errors }) { showFieldErrors('gan', errors); },
  configured({ ok, errors, batchesPerEpoch }) {
    showFieldErrors('gan', errors);
    if (!ok) { message('Fix the highlighted settings, then press Train.', true); setState('ready'); return; }
    gan.batch = Number(state.gan.batch_size);
    gan.batchesPerEpoch = batchesPerEpoch;
    clearRun();
    setState('configured');
  },
  running({ running }) {
    if (running) {
      setState('running');
      message('Training… the page stays usable.');
      if (gan.trainStartedAt === undefined) gan.trainStartedAt = performance.now();
    } else if (['running', 'configured'].includes(gan.state)) { setState('paused'); message(`Paused at step ${gan.step}.`); }
  },
  stats({ stats, step, epoch, epochProgress, ms }) {
    const first = step - stats.length + 1;
    stats.forEach((s, i) => { gan.points.push({ step: first + i, ...s }); gan.skipped += s.d_skipped; });
    gan.step = step;
    gan.lastStatsAt = performance.now();
    if (gan.firstStatsAt === undefined) gan.firstStatsAt = gan.lastStatsAt;
    gan.ipsWindow.push({ images: stats.length * gan.batch, ms });
    if (gan.ipsWindow.length > 10) gan.ipsWindow.shift();
    const img = gan.ipsWindow.reduce((a, w) => a + w.images, 0), t = gan.ipsWindow.reduce((a, w) => a + w.ms, 0);
    gan.ips = img / (t / 1000);
    $('step-count').textContent = String(step);
    $('epoch-count').textContent = String(epoch);
    $('skipped-count').textContent = String(gan.skipped);
    $('ips').textContent = gan.ips >= 100 ? gan.ips.toFixed(0) : gan.ips.toFixed(1);
    progressBar($('epoch-progress'), epochProgress, `epoch ${epoch}: ${Math.floor(epochProgress * 100)}%`);
    if (gan.state === 'configured') setState('paused');
    redraw();
  },
  samples({ width, height, rgba, tile, gap, cols, step, averagedOver, diversity, realDiversity, quality, classes, confidences }) {
    const c = $('samples');
    c.width = width; c.height = height;
    gan.grid = { tile, gap, cols, rgba: new ImageData(rgba, width, height) };
    drawGrid();
    gan.samplesStep = step;
    gan.samplesVersion++;
    const last = gan.diversity[gan.diversity.length - 1];
    if (last && last[0] === step) gan.diversity[gan.diversity.length - 1] = [step, diversity, realDiversity];
    else gan.diversity.push([step, diversity, realDiversity]);
    const from = averagedOver ? ` (G averaged over its last ${averagedOver} steps)` : '';
    $('samples-step').textContent = `samples at step ${step}${from} · diversity ${diversity.toFixed(3)} (real data ${realDiversity.toFixed(3)})`;
    if (quality) {
      const lastQ = gan.quality[gan.quality.length - 1];
      const point = [step, quality.score, quality.classes, quality.realScore];
      if (lastQ && lastQ[0] === step) gan.quality[gan.quality.length - 1] = point; else gan.quality.push(point);
      gan.predictions = { classes, confidences };
      $('samples-step').textContent += ` · classifier score ${quality.score.toFixed(2)}, ${quality.classes}/10 classes`;
      if (gan.selected.length) showPrediction(gan.selected[gan.selected.length - 1]);
    }
    setState(gan.state);
    redraw();
  },
  // The run diverged: the charts keep its finite steps; "Go back" restores the last good state.
  diverged(d) {
    gan.diverged = d;
    $('diverged-text').textContent = d.message[0].toUpperCase() + d.message.slice(1);
    $('go-back').textContent = `Go back to step ${d.good_step}`;
    message(`Stopped at step ${d.step}: training diverged.`, true);
    setState('diverged');
  },
  wentBack({ step }) {
    const upTo = (list, at) => list.filter((p) => at(p) <= step);
    gan.points = upTo(gan.points, (p) => p.step);
    for (const k of ['diversity', 'quality', 'fd']) gan[k] = upTo(gan[k], (p) => p[0]);
    gan.skipped = gan.points.reduce((a, p) => a + p.d_skipped, 0);
    gan.step = step;
    gan.diverged = null;
    gan.ipsWindow = [];
    $('step-count').textContent = String(step);
    $('skipped-count').textContent = String(gan.skipped);
    setState('paused');
    message(`Back at step ${step}, the last good state. Lower the learning rate (the lesson's is 2e-4), then press Resume.`);
    redraw();
  },
  fd({ step, fd }) {
    const last = gan.fd[gan.fd.length - 1];
    if (last && last[0] === step) last[1] = fd; else gan.fd.push([step, fd]);
    redraw();
  },
  interpolated({ a, b, width, height, rgba }) {
    const c = $('interp');
    c.width = width; c.height = height;
    c.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
    gan.interpVersion++;
    $('interp-info').textContent = `from sample ${a + 1} to sample ${b + 1}, along the great circle between their noise vectors`;
  },
  live({ errors }) {
    showFieldErrors('gan', errors, fields.gan.filter((f) => f.live).map((f) => f.name));
    if (!errors.length) message('Changed for the running training.');
  },
  checkpoint({ bytes }) {
    gan.checkpointVersion++;
    download(bytes, `easel-${safeName(gan.dataset)}-step${gan.step}.safetensors`, 'application/octet-stream');
    note('ckpt-message', `Checkpoint of step ${gan.step} downloaded (${(bytes.length / 1048576).toFixed(1)} MB).`);
  },
  resumed({ info, name }) {
    for (const [k, v] of Object.entries(info.settings)) setValue('gan', k, v);
    gan.model = state.gan.model;
    saveToUrl();
    gan.batch = Number(state.gan.batch_size);
    clearRun(info.step);
    $('epoch-count').textContent = String(info.epoch);
    progressBar($('epoch-progress'), 0, `epoch ${info.epoch}`);
    showFieldErrors('gan', []);
    setState('paused');
    message(`Resumed at step ${info.step}. Press Resume to go on training.`);
    note('ckpt-message', `Resumed ${name}: step ${info.step}, trained on ${info.data}.`);
  },
  ckptError({ message: text, name }) {
    note('ckpt-message', `${name ? name + ': ' : ''}${text}`, true);
    setState(gan.state === 'running' ? 'paused' : gan.state);
  },
  timelapse({ bytes }) {
    download(bytes, `easel-${safeName(gan.dataset)}-timelapse.gif`, 'image/gif');
    note('ckpt-message', `Timelapse GIF downloaded (${(bytes.length / 1024).toFixed(0)} KB).`);
  },
  error({ message: text }) {
    gan.own.busy = false;
    message(`Error: ${text}`, true);
    if (gan.state === 'loading' && !session.backend) { $('backend').textContent = 'Backend: failed'; $('backend').dataset.state = 'error'; }
    else setState(gan.state === 'running' ? 'paused' : gan.state === 'loading' ? (gan.dataset ? 'ready' : 'nodata') : gan.state);
  },
});

// Builds the tab's settings from Rust's field list.
export function initGan(fieldList, modelDefaults) {
  buildFields('gan', fieldList, changed);
  gan.modelDefaults = modelDefaults;
  gan.model = state.gan.model;
  setState(gan.state);
}

export const ganMessage = message;

// ---------- controls ----------
$('dataset').addEventListener('change', () => { state.data = $('dataset').value; loadDataset(); });
$('train').addEventListener('click', () => {
  if (gan.state === 'ready') { setState('loading'); send('configure', { values: values(), start: true }); }
  else send('train');
});
$('pause').addEventListener('click', () => {
  $('pause').disabled = true;
  message('Pausing after the current steps finish…');
  send('pause', { refresh: true });
});
$('step').addEventListener('click', () => {
  if (gan.state === 'ready') send('configure', { values: values(), start: false });
  send('step');
  message('One step.');
});
$('reset').addEventListener('click', () => {
  send('pause');
  clearRun();
  gan.samplesStep = -1; gan.grid = null;
  $('samples').getContext('2d').clearRect(0, 0, $('samples').width, $('samples').height);
  $('samples-step').textContent = 'no samples yet';
  setState(gan.dataset ? 'ready' : 'nodata');
  message('Reset. Change the settings if you like, then press Train.');
});
$('go-back').addEventListener('click', () => {
  send('goBack');
});
$('smoothing').addEventListener('input', () => { $('smoothing-value').textContent = Number($('smoothing').value).toFixed(2); redraw(); });
$('save').addEventListener('click', () => {
  // The grid without the selection marks, 4x with hard pixel edges.
  const small = document.createElement('canvas'), scale = 4;
  small.width = gan.grid.rgba.width; small.height = gan.grid.rgba.height;
  small.getContext('2d').putImageData(gan.grid.rgba, 0, 0);
  const big = document.createElement('canvas');
  big.width = small.width * scale; big.height = small.height * scale;
  const ctx = big.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, big.width, big.height);
  big.toBlob((blob) => download(blob, `easel-${safeName(gan.dataset)}-step${gan.samplesStep}.png`), 'image/png');
});
$('samples').addEventListener('click', (e) => {
  if (!gan.grid || !hasRun()) return;
  const c = $('samples'), r = c.getBoundingClientRect();
  const x = (e.clientX - r.left) * c.width / r.width, y = (e.clientY - r.top) * c.height / r.height;
  const { tile, gap, cols } = gan.grid;
  const col = Math.floor((x - gap / 2) / (tile + gap)), row = Math.floor((y - gap / 2) / (tile + gap));
  if (col < 0 || col >= cols || row < 0 || row >= cols) return;
  const i = row * cols + col;
  showPrediction(i);
  gan.selected = gan.selected.length === 1 && gan.selected[0] !== i ? [gan.selected[0], i] : [i];
  drawGrid();
  setState(gan.state);
  if (gan.selected.length === 2) {
    $('interp-info').textContent = 'walking…';
    send('interpolate', { a: gan.selected[0], b: gan.selected[1] });
  } else $('interp-info').textContent = `sample ${i + 1} picked: now pick a second one`;
});
$('resample').addEventListener('click', () => {
  const i = gan.selected[gan.selected.length - 1];
  if (i === undefined) return;
  send('resample', { i });
  if (gan.selected.length === 2) send('interpolate', { a: gan.selected[0], b: gan.selected[1] });
});
$('ckpt-save').addEventListener('click', () => { note('ckpt-message', 'Saving…'); send('checkpoint'); });
$('ckpt-file').addEventListener('change', (e) => {
  const f = e.target.files[0];
  e.target.value = '';
  if (!f) return;
  if (gan.state === 'running') send('pause');
  note('ckpt-message', `Reading ${f.name}…`);
  send('resumeFile', { file: f });
});
$('timelapse').addEventListener('click', () => { note('ckpt-message', 'Encoding the GIF…'); send('timelapse'); });

// Own images: files, a folder, or a drop of either.
$('file-own').addEventListener('change', (e) => { addOwnFiles(Array.from(e.target.files)); e.target.value = ''; });
$('folder-own').addEventListener('change', (e) => { addOwnFiles(Array.from(e.target.files)); e.target.value = ''; });
$('own_size').addEventListener('change', () => {
  // Prepare the same files again at the new size.
  if (gan.own.files.length) addOwnFiles(gan.own.files.splice(0), true);
  else send('ownClear', { size: Number($('own_size').value) });
});
$('own-clear').addEventListener('click', () => {
  gan.own = { files: [], count: 0, skipped: [], size: Number($('own_size').value), busy: false };
  send('ownClear', { size: gan.own.size });
  $('own-preview').height = 0;
  $('own-skipped-box').hidden = true;
  note('own-summary', 'No images yet.');
  gan.dataset = null;
  setState('nodata');
});
dropZone($('drop-own'), async (dt) => {
  if (hasRun() || gan.own.busy) { note('own-summary', 'Reset the training run before changing the images.', true); return; }
  const items = Array.from(dt.items || []);
  const files = items.some((i) => i.webkitGetAsEntry) ? await droppedFiles(items) : Array.from(dt.files);
  if (!files.length) { note('own-summary', 'Drop image files or a folder (not a link or text).', true); return; }
  addOwnFiles(files);
});
