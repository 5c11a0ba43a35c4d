// Canvas drawing shared by the details panel and the session views: the down/up speed chart (a
// sparkline in the header, a full chart with axes in the details and statistics), the theme's
// colours read from the CSS variables, and a notification when the theme changes.
//
// Drawing is plain canvas 2D at devicePixelRatio, so lines stay crisp on high-DPI screens; the
// callers redraw only when their data, size or theme changed.

/** Reads CSS custom properties (e.g. '--down') as computed on `el` (default: the root). */
export function themeColors(names, el = document.documentElement) {
  const cs = getComputedStyle(el);
  const out = {};
  for (const n of names) out[n] = cs.getPropertyValue(n).trim() || '#888';
  return out;
}

let themeVersion = 0;
const themeListeners = new Set();

function themeChanged() {
  themeVersion++;
  for (const fn of themeListeners) fn(themeVersion);
}

let themeWatching = false;
function watchTheme() {
  if (themeWatching) return;
  themeWatching = true;
  // The system's light/dark switch, and a page-level theme switch (a class or data attribute on
  // <html> or <body>, should the page get one).
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', themeChanged);
  const mo = new MutationObserver(themeChanged);
  const opts = { attributes: true, attributeFilter: ['class', 'data-theme', 'style'] };
  mo.observe(document.documentElement, opts);
  if (document.body) mo.observe(document.body, opts);
}

/** Calls fn(version) whenever the colours may have changed; returns the unsubscribe function. */
export function onThemeChange(fn) {
  watchTheme();
  themeListeners.add(fn);
  return () => themeListeners.delete(fn);
}

export function currentThemeVersion() {
  return themeVersion;
}

/**
 * Sizes `canvas` to its CSS box at devicePixelRatio; returns { ctx, width, height } in CSS pixels
 * (the context is scaled), or null when the canvas has no size (hidden).
 */
export function prepareCanvas(canvas, cssHeight) {
  const rect = canvas.getBoundingClientRect();
  const width = Math.floor(rect.width);
  const height = Math.floor(cssHeight ?? rect.height);
  if (width <= 0 || height <= 0) return null;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(width * dpr);
  const h = Math.round(height * dpr);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height, dpr };
}

const RATE_UNITS = [
  [1e9, 'GB/s'],
  [1e6, 'MB/s'],
  [1e3, 'kB/s'],
];

/** The unit a rate axis up to `max` B/s is labelled in: [divisor, name]. */
export function rateUnit(max) {
  for (const u of RATE_UNITS) if (max >= u[0]) return u;
  return [1e3, 'kB/s'];
}

/** A "nice" axis top at or above `max` (1, 2, 2.5, 5 x 10^n of the unit), and its step. */
export function niceScale(max, ticks = 4) {
  if (!(max > 0)) return { top: 1e3 * ticks, step: 1e3 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = mag;
  for (const m of [1, 2, 2.5, 5, 10]) {
    step = m * mag;
    if (step >= raw) break;
  }
  return { top: step * Math.ceil(max / step), step };
}

function formatAxis(value, [div, name], withUnit) {
  const v = value / div;
  const text = v >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(v < 1 ? 2 : 1);
  return withUnit ? `${text} ${name}` : text;
}

function withAlpha(color, alpha) {
  // Colours come from CSS variables as #rrggbb (the theme's) or anything else the canvas takes;
  // a hex colour gets the alpha, anything else is drawn with globalAlpha by the caller.
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return null;
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * Draws the down and up rates of `points` ([{t (ms), down, up}], oldest first) over the last
 * `windowSeconds` ending at `now` (ms).
 * opts: { compact (a sparkline: no axes, spanning the history it has, a minute at least, up to
 *         windowSeconds), colors ({'--down','--up','--border','--fg-2','--bg'}),
 *         now, windowSeconds }.
 */
export function drawSpeedChart(canvas, points, opts = {}) {
  const prep = prepareCanvas(canvas);
  if (!prep) return;
  const { ctx, width, height } = prep;
  const compact = !!opts.compact;
  const now = opts.now ?? (points.length ? points[points.length - 1].t : Date.now());
  let windowMs = (opts.windowSeconds ?? 600) * 1000;
  if (compact && points.length) {
    // A sparkline spans the history it has (at least a minute), so a page opened a moment ago
    // does not show a sliver at the right edge of ten empty minutes.
    windowMs = Math.min(windowMs, Math.max(60000, now - points[0].t));
  }
  const c = opts.colors;
  const from = now - windowMs;

  let max = 0;
  for (const p of points) {
    if (p.t < from) continue;
    if (p.down > max) max = p.down;
    if (p.up > max) max = p.up;
  }

  ctx.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  const unit = rateUnit(max);
  const scale = niceScale(max, compact ? 1 : 4);
  let left = 0;
  let bottom = height;
  let top = 1;
  const right = width - 1;
  if (!compact) {
    const labels = [];
    for (let v = 0; v <= scale.top + 1e-9; v += scale.step) labels.push(formatAxis(v, unit, false));
    left = Math.ceil(Math.max(...labels.map((l) => ctx.measureText(l).width))) + 8;
    bottom = height - 18;
    top = 16;
  }
  const plotW = Math.max(1, right - left);
  const plotH = Math.max(1, bottom - top);
  const x = (t) => left + ((t - from) / windowMs) * plotW;
  const y = (v) => bottom - (v / scale.top) * plotH;

  if (!compact) {
    // Grid lines and y labels; the unit above the axis.
    ctx.strokeStyle = c['--border'];
    ctx.fillStyle = c['--fg-2'];
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let v = 0; v <= scale.top + 1e-9; v += scale.step) {
      const yy = Math.round(y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, yy);
      ctx.lineTo(right, yy);
      ctx.stroke();
      ctx.fillText(formatAxis(v, unit, false), left - 4, yy);
    }
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(unit[1], 0, 0);
    // Time axis: one mark per minute, labelled every 2 (or 5) minutes before now.
    ctx.textBaseline = 'bottom';
    const minutes = windowMs / 60000;
    const every = plotW < 440 ? 5 : 2;
    for (let m = 0; m <= minutes; m++) {
      const xx = Math.round(x(now - m * 60000)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(xx, bottom);
      ctx.lineTo(xx, bottom + (m % every === 0 ? 4 : 2));
      ctx.stroke();
      if (m % every === 0) {
        const label = m === 0 ? 'now' : `−${m} min`;
        ctx.textAlign = m === 0 ? 'right' : m === minutes ? 'left' : 'center';
        ctx.fillText(label, xx, height);
      }
    }
  } else {
    ctx.strokeStyle = c['--border'];
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, height - 0.5);
    ctx.lineTo(width, height - 0.5);
    ctx.stroke();
  }

  const series = [
    ['up', c['--up']],
    ['down', c['--down']],
  ];
  const visible = points.filter((p) => p.t >= from - 2000);
  if (visible.length < 2) return;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, 0, plotW + 1, bottom + 1);
  ctx.clip();
  for (const [key, color] of series) {
    ctx.beginPath();
    visible.forEach((p, i) => {
      const px = x(p.t);
      const py = y(p[key]);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.lineWidth = compact ? 1.25 : 1.75;
    ctx.lineJoin = 'round';
    ctx.strokeStyle = color;
    ctx.stroke();
    ctx.lineTo(x(visible[visible.length - 1].t), bottom);
    ctx.lineTo(x(visible[0].t), bottom);
    ctx.closePath();
    const fill = withAlpha(color, 0.16);
    if (fill) {
      ctx.fillStyle = fill;
      ctx.fill();
    } else {
      ctx.globalAlpha = 0.16;
      ctx.fillStyle = color;
      ctx.fill();
      ctx.globalAlpha = 1;
    }
  }
  ctx.restore();
}

/** Current and peak rates of `points` over the window, for a chart's accessible label. */
export function speedSummary(points, windowSeconds = 600) {
  const last = points[points.length - 1];
  let peakDown = 0;
  let peakUp = 0;
  if (last) {
    const from = last.t - windowSeconds * 1000;
    for (const p of points) {
      if (p.t < from) continue;
      peakDown = Math.max(peakDown, p.down);
      peakUp = Math.max(peakUp, p.up);
    }
  }
  return { down: last?.down || 0, up: last?.up || 0, peakDown, peakUp };
}
