// The list as the user sees it: the store's torrents through the sidebar's filters and the search,
// sorted by the chosen column. Computed once per store version (and per filter/sort change), so
// a render of the list, the sidebar and the toolbar in one frame share one pass.

import { store } from './store.js';
import { ui } from './ui.js';
import { STATE_FILTERS, STATUS } from './format.js';

/** The progress a person reads: the check's while checking, the metadata's while fetching it. */
export function progressOf(t) {
  if (t.status === STATUS.CHECK) return t.recheckProgress || 0;
  if (t.metadataPercentComplete !== undefined && t.metadataPercentComplete < 1) return t.metadataPercentComplete;
  return t.percentDone || 0;
}

/** The colour class of a torrent's progress bar. */
export function stateClass(t) {
  if (t.error) return 'error';
  switch (t.status) {
    case STATUS.STOPPED:
      return t.isFinished ? 'done' : 'paused';
    case STATUS.CHECK:
    case STATUS.CHECK_WAIT:
      return 'checking';
    case STATUS.SEED:
    case STATUS.SEED_WAIT:
      return 'seeding';
    case STATUS.DOWNLOAD_WAIT:
      return 'queued';
    default:
      return t.metadataPercentComplete !== undefined && t.metadataPercentComplete < 1 ? 'metadata' : 'downloading';
  }
}

const byNumber = (f) => (a, b) => (f(a) ?? 0) - (f(b) ?? 0);
// Unknown (negative) ETAs and ratios sort after every known one, whichever the direction of the
// known ones; the sort functions below only see them in ascending order, see sortedList.
const etaKey = (t) => (t.eta === undefined || t.eta < 0 ? Infinity : t.eta);
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Sort functions per column key (ascending). */
export const SORTS = {
  queue: byNumber((t) => t.queuePosition),
  queuePosition: byNumber((t) => t.queuePosition),
  name: (a, b) => collator.compare(a.name || '', b.name || ''),
  size: byNumber((t) => t.sizeWhenDone),
  progress: byNumber(progressOf),
  status: (a, b) => (a.error ? 7 : a.status) - (b.error ? 7 : b.status),
  down: byNumber((t) => t.rateDownload),
  up: byNumber((t) => t.rateUpload),
  eta: (a, b) => {
    const x = etaKey(a);
    const y = etaKey(b);
    return x === y ? 0 : x < y ? -1 : 1;
  },
  ratio: byNumber((t) => t.uploadRatio),
  peers: byNumber((t) => t.peersConnected),
  added: byNumber((t) => t.addedDate),
  labels: (a, b) => collator.compare((a.labels || []).join(','), (b.labels || []).join(',')),
};

let cache = { key: '', list: [], ids: new Set(), counts: {}, labels: [] };

/**
 * { list: visible torrents in order, ids: a Set of their ids, counts: {filterKey: n}, labels:
 * [[name, n], ...] sorted by name }. Memoised on the store version and the view's state.
 */
export function listView() {
  const key = `${store.version}|${ui.stateFilter}|${ui.labelFilter}|${ui.search}|${ui.sortKey}|${ui.sortAscending}`;
  if (cache.key === key) return cache;
  const filter = STATE_FILTERS.find((f) => f.key === ui.stateFilter) || STATE_FILTERS[0];
  const needle = ui.search.trim().toLowerCase();
  const counts = Object.fromEntries(STATE_FILTERS.map((f) => [f.key, 0]));
  const labelCounts = new Map();
  const list = [];
  for (const t of store.torrents.values()) {
    for (const f of STATE_FILTERS) if (f.match(t)) counts[f.key]++;
    for (const l of t.labels || []) labelCounts.set(l, (labelCounts.get(l) || 0) + 1);
    if (!filter.match(t)) continue;
    if (ui.labelFilter && !(t.labels || []).includes(ui.labelFilter)) continue;
    if (needle && !(t.name || '').toLowerCase().includes(needle)) continue;
    list.push(t);
  }
  const cmp = SORTS[ui.sortKey] || SORTS.queuePosition;
  const dir = ui.sortAscending ? 1 : -1;
  // Ties keep a stable order by queue position, then id, so rows do not jump between ticks.
  list.sort((a, b) => {
    let c = cmp(a, b);
    if (ui.sortKey === 'eta' && c !== 0 && (etaKey(a) === Infinity || etaKey(b) === Infinity)) return c;
    c *= dir;
    return c || (a.queuePosition ?? 0) - (b.queuePosition ?? 0) || a.id - b.id;
  });
  const labels = [...labelCounts].sort((a, b) => collator.compare(a[0], b[0]));
  cache = { key, list, ids: new Set(list.map((t) => t.id)), counts, labels };
  return cache;
}
