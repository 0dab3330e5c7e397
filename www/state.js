// The page's settings, mirrored from Rust's settings structs: the field lists come from the
// wasm (settingsFields: name, label, help, kind, range or choices, default, live), the inputs
// are built from them, every input writes its text here, and the URL hash is this state
// serialised (#tab&data=mnist&batch_size=64&…&style-size=256…). A link is an experiment.
import { $ } from './dom.js';

// Per job ('gan', 'style'): the field list and each field's text as typed.
export const fields = { gan: [], style: [] };
export const state = { tab: 'train', data: 'mnist', gan: {}, style: {} };
export const DATA_SETS = ['mnist', 'fashion', 'own'];
const TABS = ['train', 'style'];

// Style fields are prefixed in the page and the link, so the two tabs' names never meet.
const PREFIX = { gan: '', style: 'style-' };
export const inputId = (job, name) => PREFIX[job] + name;

// Messages about a link's values, by input id, shown beside the field until it is edited.
const linkErrors = {};

function read(input, f) {
  return f.kind === 'bool' ? String(input.checked) : input.value;
}

// Puts a field's text into its input (and the state).
export function setValue(job, name, text) {
  const f = fields[job].find((x) => x.name === name);
  if (!f) return;
  const input = $(inputId(job, name));
  if (f.kind === 'bool') input.checked = text === 'true';
  else input.value = text;
  if (f.kind === 'slider') input.nextElementSibling.textContent = input.value;
  state[job][name] = read(input, f);
}

// "Real label (0.9 = one-sided label smoothing)" -> "Real label" and a quieter "(0.9 = …)".
function labelText(label, text) {
  const at = text.indexOf(' (');
  if (at < 0) { label.append(text); return; }
  const small = document.createElement('small');
  small.textContent = text.slice(at + 1);
  label.append(text.slice(0, at), ' ', small);
}

// Builds the inputs of `job`'s fields into their groups' containers (#fields-<group>);
// `onChange(field)` runs after the state has taken a new value.
export function buildFields(job, list, onChange) {
  fields[job] = list;
  for (const f of list) {
    const id = inputId(job, f.name);
    const label = document.createElement('label');
    label.title = f.help;
    let input;
    if (f.kind === 'choice') {
      input = document.createElement('select');
      for (const [value, text] of f.choices) input.add(new Option(text, value));
    } else if (f.kind === 'slider') {
      input = document.createElement('input');
      Object.assign(input, { type: 'range', min: f.min, max: f.max, step: f.step });
    } else {
      input = document.createElement('input');
      if (f.kind !== 'bool') input.inputMode = f.kind === 'int' ? 'numeric' : 'decimal';
    }
    input.id = id;
    if (f.kind === 'bool') {
      input.type = 'checkbox';
      label.className = 'check';
      label.append(input, ' ', f.label);
    } else {
      labelText(label, f.label);
      label.append(' ', input);
      if (f.kind === 'slider') label.append(Object.assign(document.createElement('output'), { className: 'slider-value' }));
    }
    const err = document.createElement('span');
    err.className = 'err';
    err.dataset.for = id;
    const wrap = f.kind === 'bool' ? document.createElement('div') : label;
    if (wrap !== label) wrap.append(label);
    wrap.append(err);
    $(`fields-${f.group}`).append(wrap);
    input.addEventListener(f.kind === 'choice' || f.kind === 'bool' ? 'change' : 'input', () => {
      state[job][f.name] = read(input, f);
      if (f.kind === 'slider') input.nextElementSibling.textContent = input.value;
      delete linkErrors[id];
      saveToUrl();
      onChange(f);
    });
    setValue(job, f.name, f.default);
  }
}

// Shows `errors` ([{field, message}] from Rust) beside `job`'s fields (only `names` when given);
// a link's refused value stays said until its field is edited.
export function showFieldErrors(job, errors, names = fields[job].map((f) => f.name)) {
  for (const name of names) {
    const id = inputId(job, name);
    $(id)?.classList.remove('invalid');
    const span = document.querySelector(`.err[data-for="${id}"]`);
    if (span) span.textContent = linkErrors[id] || '';
  }
  for (const e of errors) {
    const id = inputId(job, e.field);
    const span = document.querySelector(`.err[data-for="${id}"]`);
    if (span) span.textContent = span.textContent ? `${span.textContent} ${e.message}` : e.message;
    $(id)?.classList.add('invalid');
  }
}

export function toHash() {
  // The data set's name only: own images never go into a link (the link asks for yours).
  const p = new URLSearchParams({ data: state.data });
  for (const job of ['gan', 'style']) for (const f of fields[job]) p.set(inputId(job, f.name), state[job][f.name]);
  return `#${state.tab}&${p}`;
}

export function saveToUrl() {
  if (!fields.gan.length) return;   // nothing built yet: keep the link the page was opened with
  const hash = toHash();
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

// A link's contents: {tab, data, values: {gan: {name: text}, style: {...}}, unknown: [key]}.
// Old links (#style, #train) are a tab alone.
export function parseHash(hash = location.hash) {
  const [tab, ...rest] = hash.replace(/^#/, '').split('&');
  const p = new URLSearchParams(rest.join('&'));
  const out = { tab: TABS.includes(tab) ? tab : 'train', data: null, values: { gan: {}, style: {} }, unknown: [] };
  for (const [key, value] of p) {
    if (key === 'data') { out.data = value; continue; }
    const job = ['style', 'gan'].find((j) => key.startsWith(PREFIX[j]) && fields[j].some((f) => inputId(j, f.name) === key));
    if (job) out.values[job][key.slice(PREFIX[job].length)] = value;
    else out.unknown.push(key);
  }
  return out;
}

// Takes a link's values after Rust has checked them (`errors` per job): a refused value leaves
// the field at its default, with the reason beside it. Returns how many were refused.
export function applyLink(link, errors) {
  let refused = 0;
  for (const job of ['gan', 'style']) {
    const bad = new Map(errors[job].map((e) => [e.field, e.message]));
    for (const [name, text] of Object.entries(link.values[job])) {
      if (bad.has(name)) {
        linkErrors[inputId(job, name)] = `The link's value "${text}" was not used: ${bad.get(name)}`;
        refused++;
      } else setValue(job, name, text);
    }
  }
  return refused;
}
