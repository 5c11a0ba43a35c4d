// The piece map's arithmetic (no DOM): the bitfield of torrent-get `pieces` and the geometry of
// the grid the Pieces tab draws.

export const GAP = 1;
export const MAX_GRID_HEIGHT = 360; // CSS px; beyond it the map is a bar
export const MIN_MAP_HEIGHT = 100; // the map gets at least this, the panel scrolls if need be
export const BAR_HEIGHT = 56; // one line of the bar, at most
export const BAR_GAP = 6;
export const BAR_ROWS = 4; // the bar wraps over this many lines, so each line holds a quarter
const LEGEND_ROOM = 56; // the legend below the map, and the panel's padding

/** The bitfield's bytes; null when there is none. */
export function decodePieces(b64) {
  if (!b64) return null;
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function countHave(bits, n) {
  let c = 0;
  for (let i = 0; i < n; i++) if (bits[i >> 3] & (0x80 >> (i & 7))) c++;
  return c;
}

/** The grid's geometry for `n` pieces in `width` CSS px, or null when it would be too tall. */
export function gridLayout(n, width, maxHeight = MAX_GRID_HEIGHT) {
  for (let cell = 14; cell >= 4; cell--) {
    const cols = Math.max(1, Math.floor((width + GAP) / (cell + GAP)));
    const rows = Math.ceil(n / cols);
    const height = rows * (cell + GAP) - GAP;
    if (height <= Math.min(MAX_GRID_HEIGHT, maxHeight ?? MAX_GRID_HEIGHT)) return { cell, cols, rows, height };
  }
  return null;
}

/** The height the map may take: the panel body's height less what is above and below it. */
export function mapRoom(bodyHeight, top) {
  return Math.max(MIN_MAP_HEIGHT, Math.min(MAX_GRID_HEIGHT, bodyHeight - top - LEGEND_ROOM));
}

/** The height of one line of the bar when the map has `maxHeight`. */
export function barRowHeight(maxHeight = MAX_GRID_HEIGHT) {
  const h = Math.floor((Math.min(maxHeight, MAX_GRID_HEIGHT) - (BAR_ROWS - 1) * BAR_GAP) / BAR_ROWS);
  return Math.max(16, Math.min(BAR_HEIGHT, h));
}
