// Selection in the list, as desktop file managers do it: click selects one, Ctrl/Cmd+click toggles
// one, Shift+click selects the range from the anchor; the keyboard moves the focus and Shift
// extends the range. `list` is the visible list (listView().list).

import { ui, update } from './ui.js';

export function selectOnly(id) {
  ui.selected = new Set(id === null ? [] : [id]);
  update({ focused: id, anchor: id });
}

export function toggle(id) {
  const s = new Set(ui.selected);
  if (s.has(id)) s.delete(id);
  else s.add(id);
  ui.selected = s;
  update({ focused: id, anchor: id });
}

/** Selects the range between the anchor and `id` (adding to the selection when `add`). */
export function selectRange(list, id, add = false) {
  const ids = list.map((t) => t.id);
  const a = ids.indexOf(ui.anchor ?? id);
  const b = ids.indexOf(id);
  if (a < 0 || b < 0) return selectOnly(id);
  const s = add ? new Set(ui.selected) : new Set();
  for (let i = Math.min(a, b); i <= Math.max(a, b); i++) s.add(ids[i]);
  ui.selected = s;
  update({ focused: id });
}

export function selectAll(list) {
  ui.selected = new Set(list.map((t) => t.id));
  update({});
}

export function clearSelection() {
  ui.selected = new Set();
  update({});
}
