// The piece map's arithmetic (no DOM): the bitfield of torrent-get `pieces` and the geometry of
// the grid the Pieces tab draws.

export const GAP = 1;
export const MAX_GRID_HEIGHT = 360; // CSS px; beyond it the map is a bar
export const BAR_HEIGHT = 56;
export const BAR_ROWS = 4; // the bar wraps over this many lines, so each line holds a quarter

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
export function gridLayout(n, width) {
  for (let cell = 14; cell >= 4; cell--) {
    const cols = Math.max(1, Math.floor((width + GAP) / (cell + GAP)));
    const rows = Math.ceil(n / cols);
    const height = rows * (cell + GAP) - GAP;
    if (height <= MAX_GRID_HEIGHT) return { cell, cols, rows, height };
  }
  return null;
}
