// The columns of the torrent list: key (the cell's data-col and the sort key), header text, CSS
// width, numeric (right-aligned, tabular figures), and the cell's content and title.
import { formatBytes, formatRate, formatEta, formatRatio, formatPercent, statusText } from '../format.js';
import { progressOf, stateClass } from '../list_model.js';

// Date formatting is slow (Intl per call): formatters made once, and each date's texts cached
// (a list shows few distinct added dates per day; the cache is dropped when it grows large).
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
let dateCache = new Map();
let cacheDay = '';

function dateTexts(unixSeconds) {
  const today = new Date().toDateString();
  if (today !== cacheDay || dateCache.size > 5000) {
    dateCache = new Map();
    cacheDay = today;
  }
  let v = dateCache.get(unixSeconds);
  if (!v) {
    const d = new Date(unixSeconds * 1000);
    v = { short: d.toDateString() === today ? timeFmt.format(d) : dayFmt.format(d), full: fullFmt.format(d) };
    dateCache.set(unixSeconds, v);
  }
  return v;
}

const dateText = (s) => (s ? dateTexts(s).short : '');
const dateTitle = (s) => (s ? dateTexts(s).full : '');

export function ProgressBar({ t }) {
  const p = progressOf(t);
  const pct = Math.max(0, Math.min(1, p)) * 100;
  return (
    <span class={`bar ${stateClass(t)}`}>
      <span class="bar-fill" style={{ transform: `scaleX(${pct / 100})` }} />
    </span>
  );
}

export const COLUMNS = [
  { key: 'queue', label: '#', width: '36px', numeric: true, text: (t) => (t.queuePosition ?? -1) >= 0 ? String(t.queuePosition + 1) : '' },
  { key: 'name', label: 'Name', width: 'minmax(160px, 1fr)', text: (t) => t.name },
  {
    key: 'size',
    label: 'Size',
    width: '70px',
    numeric: true,
    text: (t) => formatBytes(t.sizeWhenDone || t.totalSize || 0),
    title: (t) => (t.totalSize && t.sizeWhenDone !== t.totalSize ? `${formatBytes(t.sizeWhenDone)} wanted of ${formatBytes(t.totalSize)}` : ''),
  },
  {
    key: 'progress',
    label: 'Progress',
    width: '122px',
    render: (t) => (
      <>
        <ProgressBar t={t} />
        <span class="pct">{formatPercent(progressOf(t))}</span>
      </>
    ),
  },
  {
    key: 'status',
    label: 'Status',
    width: '144px',
    text: statusText,
    title: (t) => (t.error ? t.errorString : ''),
  },
  { key: 'down', label: 'Down', width: '88px', numeric: true, text: (t) => (t.rateDownload ? formatRate(t.rateDownload) : '') },
  { key: 'up', label: 'Up', width: '88px', numeric: true, text: (t) => (t.rateUpload ? formatRate(t.rateUpload) : '') },
  { key: 'eta', label: 'ETA', width: '64px', numeric: true, text: (t) => formatEta(t.eta) },
  { key: 'ratio', label: 'Ratio', width: '52px', numeric: true, text: (t) => formatRatio(t.uploadRatio) },
  {
    key: 'peers',
    label: 'Peers',
    width: '56px',
    numeric: true,
    text: (t) => `${t.peersSendingToUs ?? 0}/${t.peersConnected ?? 0}`,
    title: (t) => `${t.peersSendingToUs ?? 0} sending to us, ${t.peersConnected ?? 0} connected`,
  },
  { key: 'added', label: 'Added', width: '80px', numeric: true, text: (t) => dateText(t.addedDate), title: (t) => dateTitle(t.addedDate) },
  {
    key: 'labels',
    label: 'Labels',
    width: '84px',
    render: (t) => (t.labels || []).map((l) => <span class="chip" key={l}>{l}</span>),
    title: (t) => (t.labels || []).join(', '),
  },
];

export const GRID_TEMPLATE = COLUMNS.map((c) => c.width).join(' ');

/** The fields a row shows: a row re-renders only when one of these (or its selection) changes. */
export const ROW_FIELDS = [
  'name', 'status', 'error', 'errorString', 'isFinished', 'percentDone', 'recheckProgress',
  'metadataPercentComplete', 'sizeWhenDone', 'totalSize', 'rateDownload', 'rateUpload', 'eta',
  'uploadRatio', 'peersSendingToUs', 'peersConnected', 'addedDate', 'queuePosition',
];

/** A cheap signature of what a row shows. */
export function rowSignature(t) {
  let s = '';
  for (const f of ROW_FIELDS) s += `${t[f]}\u0001`;
  return s + (t.labels || []).join('\u0002');
}

/** The narrowest the table gets before it scrolls sideways (every column at its minimum). */
export const GRID_MIN = COLUMNS.reduce((n, c) => n + Number((c.width.match(/(\d+)px/) || [0, 0])[1]), 0);
