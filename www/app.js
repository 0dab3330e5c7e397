// Easel page: wires the worker, the two tabs, the link and the test surface. Training and
// style transfer run in www/worker.js; gan.js and style.js draw their tabs.
import { $, note, progressBar } from './dom.js';
import { send, listen, session, onWorkerError } from './channel.js';
import { state, DATA_SETS, parseHash, applyLink, saveToUrl, toHash } from './state.js';
import { gan, initGan, loadDataset, redraw, ganMessage, setState } from './gan.js';
import { style, initStyle, redrawStyle, setStyleState, showProgress, showStyleMethod } from './style.js';

const params = new URLSearchParams(location.search);
// What the page was opened with: the tab, the data set and settings (checked once the field
// list has come from Rust).
const link = parseHash();
let linkPending = true;

function showTab(name) {
  for (const b of document.querySelectorAll('.tabs button[data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
  $('tab-train').hidden = name !== 'train';
  $('tab-style').hidden = name !== 'style';
  state.tab = name;
  saveToUrl();
  redraw();
  redrawStyle();
}

listen({
  loaded() { send('open', { backend: params.get('backend'), selfcheck: params.get('selfcheck') }); },
  progress({ what, got, total, done, bar }) {
    if (bar === 'style' && done) { showProgress(); return; }
    const el = bar === 'style' ? $('style-progress') : $('data-progress');
    el.hidden = !!done;
    const mb = (b) => (b / 1048576).toFixed(1);
    progressBar(el, total ? got / total : 0, `loading ${what}: ${mb(got)}${total ? ' / ' + mb(total) : ''} MB`);
  },
  ready({ backend, threads, note: text, fields, selfCheck }) {
    const b = $('backend');
    b.textContent = backend === 'WebGPU' ? 'Backend: WebGPU' : `Backend: CPU (wasm, ${threads} thread${threads > 1 ? 's' : ''})`;
    b.dataset.state = backend === 'WebGPU' ? 'webgpu' : 'cpu';
    b.title = selfCheck ? `WebGPU self-check ${selfCheck.passed ? 'passed' : 'failed'} in ${Math.round(selfCheck.ms)} ms: ${selfCheck.details}` : '';
    session.backend = backend;
    session.selfCheck = selfCheck;
    $('backend-note').hidden = !text;
    $('backend-note').textContent = text;
    initGan(fields.gan, fields.modelDefaults);
    initStyle(fields.style);
    setStyleState(style.state);
    // The link's settings are checked by Rust before they are taken.
    const fresh = parseHash(location.hash);
    Object.assign(link.values, fresh.values);
    link.unknown = fresh.unknown;
    send('checkLink', { gan: link.values.gan, style: link.values.style });
  },
  linkChecked({ gan: ganErrors, style: styleErrors }) {
    const refused = applyLink(link, { gan: ganErrors, style: styleErrors });
    showStyleMethod();
    gan.keepModel = 'model' in link.values.gan && !ganErrors.some((e) => e.field === 'model');
    const said = [];
    if (link.data !== null && !DATA_SETS.includes(link.data)) said.push(`the data set "${link.data}" is not one of ${DATA_SETS.join(', ')}`);
    else if (link.data) state.data = link.data;
    if (link.unknown.length) said.push(`unknown setting${link.unknown.length > 1 ? 's' : ''} ${link.unknown.join(', ')} ignored`);
    if (refused) said.push(`${refused} value${refused > 1 ? 's were' : ' was'} refused (see beside the field${refused > 1 ? 's' : ''})`);
    if (said.length) note('link-message', `From the link: ${said.join('; ')}.`, true);
    linkPending = false;
    $('dataset').value = state.data;
    loadDataset();
  },
});

onWorkerError((e) => { ganMessage(`The worker failed: ${e.message || 'see the console'}`, true); $('backend').dataset.state = 'error'; });

for (const b of document.querySelectorAll('.tabs button[data-tab]')) b.addEventListener('click', () => showTab(b.dataset.tab));
$('copy-link').addEventListener('click', async () => {
  saveToUrl();
  const url = location.href.replace(/#.*$/, '') + toHash();
  try {
    await navigator.clipboard.writeText(url);
    note('link-message', 'Link copied: it opens Easel with these settings.');
  } catch {
    note('link-message', `Copy this link: ${url}`);
  }
});

showTab(link.tab);
setState('loading');
setStyleState('idle');
redraw();

// The test surface (tests/e2e, bench/): what the page shows, for the tests to read. Tests use
// only these names, never the page's modules.
//   state            the GAN tab's state: loading | nodata | ready | configured | running | paused | error
//   step, points     steps trained; one {step, d_loss, g_loss, d_real, d_fake, d_skipped} a step
//   skipped          D steps skipped so far (the skip trick)
//   diversity        the mode-collapse meter: [step, samples, real] at each grid refresh
//   quality, fd      [step, classifier score, classes covered, real score] at each grid refresh;
//                    [step, Fréchet distance] every few; judge: the set's classifier or null
//   grid, samplesStep, samplesVersion   the sample grid ({tile, gap, cols, rgba}), its step, refresh count
//   selected, interpVersion             samples picked for the latent walk, walks drawn
//   own              your own images: {count, skipped: [{name, why}]}
//   checkpointVersion                   checkpoints downloaded
//   readyAt, trainStartedAt, firstStatsAt, lastStatsAt   performance.now() of those moments (bench/)
//   style            the Style tab: {state, iteration, iterations, points, images, width, height,
//                    outputVersion, outputIteration, start, lastStatsAt, instant: the last instant
//                    render {width, height, predicted, predictMs, transformMs}}
//   settings         the settings as text, {gan: {field: text}, style: {...}}; linkPending
//   backend, selfCheck  'WebGPU' or 'CPU'; the WebGPU self-check's {passed, details, ms} or null
window.easel = Object.freeze({
  get state() { return gan.state; },
  get step() { return gan.step; },
  get points() { return gan.points; },
  get skipped() { return gan.skipped; },
  get diversity() { return gan.diversity; },
  get quality() { return gan.quality; },
  get fd() { return gan.fd; },
  get judge() { return gan.judge; },
  get grid() { return gan.grid; },
  get samplesStep() { return gan.samplesStep; },
  get samplesVersion() { return gan.samplesVersion; },
  get selected() { return gan.selected; },
  get interpVersion() { return gan.interpVersion; },
  get own() { return { count: gan.own.count, skipped: gan.own.skipped }; },
  get checkpointVersion() { return gan.checkpointVersion; },
  get readyAt() { return gan.readyAt; },
  get trainStartedAt() { return gan.trainStartedAt; },
  get firstStatsAt() { return gan.firstStatsAt; },
  get lastStatsAt() { return gan.lastStatsAt; },
  get style() { return style; },
  get settings() { return { gan: { ...state.gan }, style: { ...state.style } }; },
  get linkPending() { return linkPending; },
  get backend() { return session.backend; },
  get selfCheck() { return session.selfCheck; },
});
