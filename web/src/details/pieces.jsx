// The Pieces tab: the verified pieces (torrent-get `pieces`, a base64 bitfield, piece 0 in the
// high bit of the first byte) drawn on a canvas: a grid of cells when they fit, else a bar where
// each device pixel column shows the fraction of the pieces it stands for. Theme colours, crisp
// at devicePixelRatio, redrawn on a new bitfield, a resize or a theme change; the have/total
// count beside it is the text a screen reader gets.
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatBytes, formatPercent } from '../format.js';
import { onThemeChange, prepareCanvas, themeColors } from '../graph.js';
import { Loading } from './loading.jsx';
import { BAR_HEIGHT, BAR_ROWS, GAP, countHave, decodePieces, gridLayout } from './pieces_map.js';

function drawPieces(canvas, bits, n, colors) {
  const width = Math.floor(canvas.parentElement.getBoundingClientRect().width);
  if (width <= 0) return;
  const grid = gridLayout(n, width);
  const height = grid ? grid.height : BAR_ROWS * BAR_HEIGHT + (BAR_ROWS - 1) * 6;
  canvas.style.height = `${height}px`;
  const prep = prepareCanvas(canvas, height);
  if (!prep) return;
  const { ctx, dpr } = prep;
  const have = colors['--accent'];
  const missing = colors['--bg-3'];
  const has = (i) => bits && bits[i >> 3] & (0x80 >> (i & 7));
  if (grid) {
    canvas.dataset.mode = 'grid';
    for (let i = 0; i < n; i++) {
      const x = (i % grid.cols) * (grid.cell + GAP);
      const y = Math.floor(i / grid.cols) * (grid.cell + GAP);
      ctx.fillStyle = has(i) ? have : missing;
      ctx.fillRect(x, y, grid.cell, grid.cell);
    }
    return;
  }
  // Bar: work in device pixels, one column per device pixel, each the fraction of its pieces.
  canvas.dataset.mode = 'bar';
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  const cols = Math.round(width * dpr);
  const rowH = Math.round(BAR_HEIGHT * dpr);
  const gapH = Math.round(6 * dpr);
  const perRow = Math.ceil(n / BAR_ROWS);
  for (let r = 0; r < BAR_ROWS; r++) {
    const start = r * perRow;
    const end = Math.min(n, start + perRow);
    if (start >= end) break;
    const y = r * (rowH + gapH);
    ctx.fillStyle = missing;
    ctx.fillRect(0, y, cols, rowH);
    ctx.fillStyle = have;
    const span = end - start;
    for (let x = 0; x < cols; x++) {
      const a = start + Math.floor((x * span) / cols);
      const b = Math.max(a + 1, start + Math.floor(((x + 1) * span) / cols));
      let c = 0;
      for (let i = a; i < b; i++) if (has(i)) c++;
      if (!c) continue;
      ctx.globalAlpha = c / (b - a);
      ctx.fillRect(x, y, 1, rowH);
    }
    ctx.globalAlpha = 1;
  }
}

export function PiecesTab({ data, error }) {
  const canvas = useRef(null);
  const [theme, setTheme] = useState(0);
  const [size, setSize] = useState(0);
  const drawn = useRef('');
  useEffect(() => onThemeChange(setTheme), []);
  useEffect(() => {
    const el = canvas.current?.parentElement;
    if (!el || typeof ResizeObserver === 'undefined') return undefined;
    let lastW = -1;
    const ro = new ResizeObserver(([entry]) => {
      const w = Math.floor(entry.contentRect.width);
      if (w !== lastW) {
        lastW = w;
        setSize(w);
      }
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [!!data]);

  const n = data?.pieceCount || 0;
  const key = `${data?.pieces}:${n}:${theme}:${size}:${window.devicePixelRatio}`;
  useEffect(() => {
    if (!canvas.current || !n || drawn.current === key) return;
    drawn.current = key;
    drawPieces(canvas.current, decodePieces(data.pieces), n, themeColors(['--accent', '--bg-3'], canvas.current));
  });

  if (!data) return <Loading data={data} error={error} />;
  if (!n) return <p class="details-empty">No pieces yet: the metadata has not arrived.</p>;
  const bits = decodePieces(data.pieces);
  const have = bits ? countHave(bits, n) : 0;
  const summary = `${have.toLocaleString()} of ${n.toLocaleString()} pieces verified (${formatPercent(have / n)}), ${formatBytes(data.pieceSize)} each`;
  return (
    <div class="d-pieces">
      {error && <p class="details-error" role="alert">{error}</p>}
      <p class="pieces-summary" id="pieces-summary" data-field="pieces">{summary}</p>
      <div class="pieces-map">
        <canvas ref={canvas} data-pieces={n} role="img" aria-labelledby="pieces-summary" />
      </div>
      <p class="pieces-legend" aria-hidden="true">
        <span class="legend-key"><span class="d-swatch have" /> verified</span>
        <span class="legend-key"><span class="d-swatch missing" /> missing</span>
        {gridLayout(n, size || 400) ? null : (
          <span class="legend-note">Each column stands for several pieces: the stronger, the more of them verified.</span>
        )}
      </p>
    </div>
  );
}
