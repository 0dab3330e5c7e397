// Small DOM helpers shared by the page's modules.
export const $ = (id) => document.getElementById(id);

// A status line: text, red when it is an error.
export function note(id, text, isError = false) {
  $(id).textContent = text;
  $(id).classList.toggle('error', isError);
}

export function progressBar(el, frac, label) {
  el.querySelector('.bar').style.width = `${Math.round(Math.min(1, Math.max(0, frac)) * 100)}%`;
  el.querySelector('span').textContent = label;
}

export function download(bytes, name, type) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(bytes instanceof Blob ? bytes : new Blob([bytes], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
}

export const safeName = (s) => String(s).replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();

// Makes an element accept dropped files: `onFiles(dataTransfer)` is called on a drop.
export function dropZone(zone, onDrop) {
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); onDrop(e.dataTransfer); });
}
