// The page's own state (not the daemon's): selection, sort, filters, search, the open dialog and
// the details panel. Kept apart from store.js so the daemon's data and the view stay separate;
// changes notify through the same store version (changed()).

import { changed, onForget } from './store.js';

export const ui = {
  /** Selected torrent ids. */
  selected: new Set(),
  /** The row the keyboard is on (and the anchor of shift-click ranges). */
  focused: null,
  anchor: null,
  /** Sort: a column key of the list and the direction. */
  sortKey: 'queue',
  sortAscending: true,
  /** Sidebar filters: a STATE_FILTERS key, and a label ('' = any). */
  stateFilter: 'all',
  labelFilter: '',
  search: '',
  /** The open dialog: null, or { kind: 'add' | 'remove' | 'move' | 'rename' | 'limits' |
   *  'labels' | 'settings' | 'stats' | ..., ...props }. */
  dialog: null,
  /** The details panel: the torrent shown (null: closed) and its tab. */
  detailsId: null,
  detailsTab: 'general',
  /** Phone layout: the sidebar drawer is open. */
  sidebarOpen: false,
  /** The list's context menu: null, or { x, y } (viewport pixels). */
  contextMenu: null,
};

// The sort is kept across visits (localStorage); the rest of the view starts afresh.
const SORT_KEY = 'tessera-sort';
try {
  const saved = JSON.parse(localStorage.getItem(SORT_KEY) || 'null');
  if (saved && typeof saved.key === 'string' && typeof saved.ascending === 'boolean') {
    ui.sortKey = saved.key;
    ui.sortAscending = saved.ascending;
  }
} catch {
  // no storage, or a bad value: the default sort
}

export function update(patch) {
  Object.assign(ui, patch);
  if ('sortKey' in patch || 'sortAscending' in patch) {
    try {
      localStorage.setItem(SORT_KEY, JSON.stringify({ key: ui.sortKey, ascending: ui.sortAscending }));
    } catch {
      // private mode: the sort lasts for this page
    }
  }
  changed();
}

export function openDialog(kind, props = {}) {
  update({ dialog: { kind, ...props } });
}

export function closeDialog() {
  update({ dialog: null });
}

onForget((id) => {
  ui.selected.delete(id);
  if (ui.focused === id) ui.focused = null;
  if (ui.anchor === id) ui.anchor = null;
  if (ui.detailsId === id) ui.detailsId = null;
});
