// Line charts on a canvas: raw values faint, exponentially smoothed values bold.

function smooth(series, alpha) {
  const out = [];
  let m = null;
  for (const v of series) { m = m === null ? v : alpha * m + (1 - alpha) * v; out.push(m); }
  return out;
}

// xs: the x of each point (step or iteration); lines: [{name, color, raw, dash, noSmooth, digits}];
// opts: {yFixed: [lo, hi], yMin, log, unit, smoothing}.
export function drawChart(canvas, xs, lines, opts = {}) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height, L = 40, R = 8, T = 8, B = 20;
  ctx.clearRect(0, 0, W, H);
  const n = xs.length, yFixed = opts.yFixed, unit = opts.unit || 'step';
  ctx.font = '11px system-ui'; ctx.fillStyle = '#9aa0ad';
  if (!n) { ctx.fillText(`no ${unit}s yet`, W / 2 - 30, H / 2); return; }
  if (opts.log) lines = lines.map((l) => ({ ...l, shown: l.raw, raw: l.raw.map((v) => Math.log10(Math.max(v, 1e-6))) }));
  let lo = yFixed ? yFixed[0] : Infinity, hi = yFixed ? yFixed[1] : -Infinity;
  if (!yFixed) for (const l of lines) for (const v of l.raw) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (opts.yMin !== undefined) lo = Math.min(lo, opts.yMin);
  if (!(hi > lo)) { hi = lo + 1; }
  const x0 = xs[0], x1 = Math.max(xs[n - 1], x0 + 1);
  const X = (s) => L + (W - L - R) * (s - x0) / (x1 - x0);
  const Y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  ctx.strokeStyle = '#2a2f3c'; ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const v = lo + (hi - lo) * i / 4, y = Y(v);
    ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(W - R, y); ctx.stroke();
    ctx.fillText(opts.log ? `1e${v.toFixed(1)}` : v.toFixed(Math.abs(hi) >= 100 ? 0 : 2), 2, y + 4);
  }
  ctx.fillText(`${unit} ${x0}`, L, H - 5);
  ctx.fillText(`${x1}`, W - R - 30, H - 5);
  const alpha = opts.smoothing ?? 0.8;
  lines.forEach((l, k) => {
    // Long runs: draw at most ~2 points per pixel column (smoothing still sees every step).
    const every = Math.max(1, Math.floor(n / (2 * (W - L - R))));
    const passes = l.noSmooth ? [[l.raw, 2, 1]] : [[l.raw, 1, 0.25], [smooth(l.raw, alpha), 2, 1]];
    for (const [series, width, a] of passes) {
      ctx.strokeStyle = l.color; ctx.fillStyle = l.color; ctx.globalAlpha = a; ctx.lineWidth = width;
      ctx.setLineDash(l.dash ? [6, 4] : []);
      ctx.beginPath();
      for (let i = 0; i < n; i += every) {
        const x = X(xs[i]), y = Y(series[i]);
        i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      }
      ctx.stroke();
      if (n === 1) { ctx.beginPath(); ctx.arc(X(xs[0]), Y(series[0]), 3, 0, 2 * Math.PI); ctx.fill(); }
    }
    ctx.setLineDash([]);
    ctx.globalAlpha = 1; ctx.fillStyle = l.color;
    const last = (l.shown || l.raw)[n - 1];
    const digits = l.digits ?? (Math.abs(last) >= 100 ? 1 : 3);
    ctx.fillText(`${l.name} ${Math.abs(last) < 0.01 && last !== 0 ? last.toExponential(1) : last.toFixed(digits)}`, L + 8 + k * (opts.log ? 110 : 130), T + 12);
  });
}
