// <SpeedChart>: the down/up rate chart of graph.js as a Preact component (the details' Speed tab,
// the statistics dialog, and the header's sparkline with `compact`). Redraws only when the points
// changed (their count or the newest time), the canvas was resized, or the theme changed.
import { useEffect, useRef, useState } from 'preact/hooks';
import { drawSpeedChart, onThemeChange, speedSummary, themeColors } from './graph.js';
import { formatRate } from './format.js';

const COLORS = ['--down', '--up', '--border', '--fg-2', '--bg'];

/** props: points ([{t, down, up}]), compact, label (what the chart is of), class. */
export function SpeedChart({ points, compact = false, label = 'Speed', class: cls = '' }) {
  const canvas = useRef(null);
  const drawn = useRef({ key: '' });
  const [theme, setTheme] = useState(0);
  const [size, setSize] = useState(0);

  useEffect(() => onThemeChange(setTheme), []);
  useEffect(() => {
    const el = canvas.current;
    if (!el || typeof ResizeObserver === 'undefined') return undefined;
    const ro = new ResizeObserver(() => setSize((n) => n + 1));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const last = points[points.length - 1];
  const key = `${points.length}:${last?.t ?? 0}:${theme}:${size}:${window.devicePixelRatio}`;
  useEffect(() => {
    if (!canvas.current || drawn.current.key === key) return;
    drawn.current.key = key;
    drawSpeedChart(canvas.current, points, { compact, colors: themeColors(COLORS, canvas.current) });
  });

  const s = speedSummary(points);
  const aria = compact
    ? `${label}: down ${formatRate(s.down)}, up ${formatRate(s.up)}`
    : `${label} over the last 10 minutes: down ${formatRate(s.down)} now, peak ${formatRate(s.peakDown)}; ` +
      `up ${formatRate(s.up)} now, peak ${formatRate(s.peakUp)}`;
  if (compact) {
    return (
      <span class={`speed-chart compact ${cls}`}>
        <canvas ref={canvas} role="img" aria-label={aria} data-chart="sparkline" />
      </span>
    );
  }
  return (
    <figure class={`speed-chart ${cls}`}>
      <canvas ref={canvas} role="img" aria-label={aria} data-chart="speed" />
      {(
        <figcaption class="speed-legend">
          <span class="legend-item sc-down">
            <span class="d-swatch" aria-hidden="true" />
            Down {formatRate(s.down)} <span class="sc-peak">(peak {formatRate(s.peakDown)})</span>
          </span>
          <span class="legend-item sc-up">
            <span class="d-swatch" aria-hidden="true" />
            Up {formatRate(s.up)} <span class="sc-peak">(peak {formatRate(s.peakUp)})</span>
          </span>
        </figcaption>
      )}
    </figure>
  );
}
