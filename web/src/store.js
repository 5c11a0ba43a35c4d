// The page's state: every torrent's list fields, the session's settings and statistics, the
// speed history, and the connection. Filled by one full fetch over the RPC when the event stream
// says hello, then kept current by the stream's events (docs/rpc.md, "Event stream"). Polling is
// only a fallback while the stream is down, and `?poll=0` in the page's URL turns it off (the
// browser tests use it to show that the page lives on pushed events alone).
//
// Components read the store through useStore() (hooks.js) and re-render when `version` moves;
// notifications are batched to one per animation frame.

import { rpc, rpcCounts, onUnauthorized } from './rpc.js';
import { openEventStream } from './stream.js';

/** torrent-get fields of the list (and of the tick deltas, which carry a subset of them). */
export const LIST_FIELDS = [
  'id', 'name', 'hashString', 'status', 'percentDone', 'rateDownload', 'rateUpload', 'eta',
  'uploadRatio', 'peersConnected', 'peersSendingToUs', 'peersGettingFromUs', 'uploadedEver',
  'downloadedEver', 'haveValid', 'leftUntilDone', 'sizeWhenDone', 'totalSize', 'recheckProgress',
  'metadataPercentComplete', 'queuePosition', 'error', 'errorString', 'isFinished', 'isStalled',
  'labels', 'downloadDir', 'addedDate', 'activityDate', 'doneDate', 'seedRatioLimit',
  'seedRatioMode', 'seedIdleLimit', 'seedIdleMode', 'downloadLimit', 'downloadLimited',
  'uploadLimit', 'uploadLimited', 'bandwidthPriority', 'honorsSessionLimits', 'peer-limit',
  'magnetLink',
];

/** Seconds of speed history kept (the session graph shows the last 10 minutes). */
export const HISTORY_SECONDS = 600;

const params = new URLSearchParams(location.search);
const pollingAllowed = params.get('poll') !== '0';
const POLL_MS = 2000;

export const store = {
  /** id -> torrent object (torrent-get's field names). */
  torrents: new Map(),
  /** session-get's arguments. */
  session: {},
  /** session-stats' arguments (refreshed with the session, and every 10 s). */
  stats: {},
  /** [{t (ms), down, up}] of the session, one per tick, at most HISTORY_SECONDS. */
  history: [],
  /** id -> [{t, down, up}] per torrent (for the details' speed graph), same bound. */
  torrentHistory: new Map(),
  /** 'connecting' | 'live' (stream open) | 'polling' (stream down, polling) | 'offline' | 'login' */
  connection: 'connecting',
  /** Last error shown to the user (a failed action), or ''. */
  message: '',
  /** Moves on every change; components compare it. */
  version: 0,
};

// ---- change notification --------------------------------------------------------------------

const listeners = new Set();
let scheduled = false;

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function changed() {
  store.version++;
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    for (const fn of listeners) fn(store.version);
  });
}

// ---- applying what the daemon says ------------------------------------------------------------

function mergeTorrent(t) {
  const cur = store.torrents.get(t.id);
  if (cur) Object.assign(cur, t);
  else store.torrents.set(t.id, { ...t });
}

function pushHistory(list, point) {
  list.push(point);
  while (list.length && point.t - list[0].t > HISTORY_SECONDS * 1000) list.shift();
}

function recordSpeeds(now) {
  let down = 0;
  let up = 0;
  for (const t of store.torrents.values()) {
    down += t.rateDownload || 0;
    up += t.rateUpload || 0;
    let h = store.torrentHistory.get(t.id);
    if (!h) store.torrentHistory.set(t.id, (h = []));
    pushHistory(h, { t: now, down: t.rateDownload || 0, up: t.rateUpload || 0 });
  }
  const s = store.stats;
  pushHistory(store.history, {
    t: now,
    down: s.downloadSpeed ?? down,
    up: s.uploadSpeed ?? up,
  });
}

/** Full fetch: every torrent's list fields, the session and its statistics. */
export async function refreshAll() {
  const [list, session, stats] = await Promise.all([
    rpc('torrent-get', { fields: LIST_FIELDS }),
    rpc('session-get'),
    rpc('session-stats'),
  ]);
  const seen = new Set();
  for (const t of list.torrents) {
    seen.add(t.id);
    mergeTorrent(t);
  }
  for (const id of [...store.torrents.keys()]) if (!seen.has(id)) forget(id);
  store.session = session;
  store.stats = stats;
  changed();
}

export async function refreshSession() {
  const [session, stats] = await Promise.all([rpc('session-get'), rpc('session-stats')]);
  store.session = session;
  store.stats = stats;
  changed();
}

/**
 * Refetches some torrents' list fields (after an action, or a typed event). A numeric id the
 * daemon no longer answers for is gone (removed), and leaves the store at once.
 */
export async function refreshTorrents(ids) {
  if (!ids.length) return;
  const { torrents } = await rpc('torrent-get', { ids, fields: LIST_FIELDS });
  const seen = new Set();
  for (const t of torrents) {
    seen.add(t.id);
    mergeTorrent(t);
  }
  for (const id of ids) if (typeof id === 'number' && !seen.has(id) && store.torrents.has(id)) forget(id);
  changed();
}

function forget(id) {
  store.torrents.delete(id);
  store.torrentHistory.delete(id);
  for (const fn of forgetListeners) fn(id);
}

const forgetListeners = new Set();
/** Called with an id when a torrent leaves the daemon (the selection drops it). */
export function onForget(fn) {
  forgetListeners.add(fn);
  return () => forgetListeners.delete(fn);
}

const eventListeners = new Set();
/** Every stream event, after the store applied it: (name, data). The details panel listens. */
export function onStreamEvent(fn) {
  eventListeners.add(fn);
  return () => eventListeners.delete(fn);
}

/** Counters the browser tests read through window.__tessera. */
export const streamCounts = { events: 0, ticks: 0, lastEventAt: 0, byName: {} };

// Torrents whose list fields are refetched after a typed event, gathered for 50 ms: verifying a
// thousand finished torrents sends a thousand torrent-finished events, and one torrent-get.
const pendingRefresh = new Set();
let refreshTimer = 0;

function queueRefresh(id) {
  pendingRefresh.add(id);
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = 0;
    const ids = [...pendingRefresh];
    pendingRefresh.clear();
    refreshTorrents(ids).catch(showError);
  }, 50);
}

function applyEvent(name, data) {
  streamCounts.events++;
  streamCounts.lastEventAt = Date.now();
  streamCounts.byName[name] = (streamCounts.byName[name] || 0) + 1;
  switch (name) {
    case 'hello':
    case 'reset':
      refreshAll().catch(showError);
      break;
    case 'tick': {
      streamCounts.ticks++;
      for (const t of data.torrents || []) mergeTorrent(t);
      if (data.session) Object.assign(store.stats, data.session);
      recordSpeeds(Date.now());
      break;
    }
    case 'torrent-added':
      mergeTorrent({ id: data.id, name: data.name, hashString: data.hashString });
      queueRefresh(data.id);
      break;
    case 'torrent-removed':
      forget(data.id);
      break;
    case 'torrent-state':
    case 'torrent-finished':
      if (store.torrents.has(data.id) && data.status !== undefined) {
        store.torrents.get(data.id).status = data.status;
      }
      if (name === 'torrent-finished') queueRefresh(data.id);
      break;
    case 'torrent-error':
      if (store.torrents.has(data.id)) {
        Object.assign(store.torrents.get(data.id), { error: data.error, errorString: data.errorString });
      }
      break;
    case 'metadata-received':
      queueRefresh(data.id);
      break;
    default:
      break;
  }
  changed();
  for (const fn of eventListeners) fn(name, data);
}

// ---- connection --------------------------------------------------------------------------------

let closeStream = null;
let pollTimer = 0;
let statsTimer = 0;

function setConnection(state) {
  if (store.connection !== state) {
    store.connection = state;
    changed();
  }
}

function startPolling() {
  if (!pollingAllowed || pollTimer) return;
  const poll = async () => {
    try {
      await refreshAll();
      recordSpeeds(Date.now());
      if (store.connection !== 'live') setConnection('polling');
    } catch (e) {
      if (e.status !== 401 && store.connection !== 'live') setConnection('offline');
    }
  };
  poll();
  pollTimer = setInterval(poll, POLL_MS);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = 0;
}

/** Opens the event stream (and, while it is down, polls unless ?poll=0). Idempotent. */
export function connect() {
  if (closeStream) return;
  closeStream = openEventStream({
    onOpen() {
      stopPolling();
      setConnection('live');
    },
    onEvent: applyEvent,
    onClose() {
      setConnection(pollingAllowed ? 'polling' : 'offline');
      startPolling();
    },
    onUnauthorized() {
      disconnect();
      setConnection('login');
    },
  });
  // Cumulative statistics are not in the tick: refresh them now and then.
  statsTimer = setInterval(() => {
    if (store.connection === 'live') rpc('session-stats').then((s) => { store.stats = s; changed(); }, () => {});
  }, 10000);
}

export function disconnect() {
  closeStream?.();
  closeStream = null;
  stopPolling();
  clearInterval(statsTimer);
}

onUnauthorized(() => {
  disconnect();
  setConnection('login');
});

/** Shows an action's failure in the page's message bar. */
export function showError(e) {
  if (e && e.status === 401) return; // the login form takes over
  store.message = e?.message || String(e);
  changed();
}

export function clearMessage() {
  store.message = '';
  changed();
}

// For the browser tests and the update-cycle benchmark (bench/web/).
window.__tessera = {
  store, rpcCounts, streamCounts, pollingAllowed, applyEvent,
  /** Whether refetches asked for by typed events are still gathered (not sent yet). */
  refreshPending: () => refreshTimer !== 0,
};
