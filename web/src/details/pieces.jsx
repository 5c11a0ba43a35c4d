// The Pieces tab: the verified pieces (torrent-get `pieces`, a base64 bitfield, piece 0 in the
// high bit of the first byte) drawn on a canvas: a grid of cells when they fit, else a bar where
// each device pixel column shows the fraction of the pieces it stands for. Theme colours, crisp
// at devicePixelRatio, redrawn on a new bitfield, a resize or a theme change; the have/total
// count beside it is the text a screen reader gets.
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatBytes, formatPercent } from '../format.js';
import { onThemeChange, prepareCanvas, themeColors } from '../graph.js';
import { Loading } from './loading.jsx';
import { BAR_GAP, BAR_ROWS, GAP, barRowHeight, countHave, decodePieces, gridLayout, mapRoom } from './pieces_map.js';

/** Draws the map `width` CSS px wide, at most `maxHeight` tall (the room the panel has). */
function drawPieces(canvas, bits, n, colors, width, maxHeight) {
  if (width <= 0) return;
  const grid = gridLayout(n, width, maxHeight);
  const barHeight = barRowHeight(maxHeight);
  const height = grid ? grid.height : BAR_ROWS * barHeight + (BAR_ROWS - 1) * BAR_GAP;
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
  const rowH = Math.round(barHeight * dpr);
  const gapH = Math.round(BAR_GAP * dpr);
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
  const [room, setRoom] = useState({ width: 0, height: 0 });
  const drawn = useRef('');
  useEffect(() => onThemeChange(setTheme), []);
  // The map's width, and the height the panel leaves it (the map fits the panel, no scrolling
  // while there is room for a readable map).
  useEffect(() => {
    const map = canvas.current?.parentElement;
    const body = map?.closest('.details-body');
    if (!map || typeof ResizeObserver === 'undefined') return undefined;
    const measure = () => {
      const width = Math.floor(map.getBoundingClientRect().width);
      const top = body ? map.getBoundingClientRect().top - body.getBoundingClientRect().top + body.scrollTop : 0;
      const height = body ? mapRoom(body.clientHeight, top) : undefined;
      setRoom((r) => (r.width === width && r.height === height ? r : { width, height }));
    };
    const ro = new ResizeObserver(measure);
    ro.observe(map);
    if (body) ro.observe(body);
    measure();
    return () => ro.disconnect();
  }, [!!data?.pieceCount]);

  const n = data?.pieceCount || 0;
  const key = `${data?.pieces}:${n}:${theme}:${room.width}:${room.height}:${window.devicePixelRatio}`;
  useEffect(() => {
    if (!canvas.current || !n || !room.width || drawn.current === key) return;
    drawn.current = key;
    const colors = themeColors(['--accent', '--bg-3'], canvas.current);
    drawPieces(canvas.current, decodePieces(data.pieces), n, colors, room.width, room.height);
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
        {gridLayout(n, room.width || 400, room.height) ? null : (
          <span class="legend-note">Each column stands for several pieces: the stronger, the more of them verified.</span>
        )}
      </p>
    </div>
  );
}
