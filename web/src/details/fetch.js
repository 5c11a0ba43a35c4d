// What the details panel fetches, tab by tab, and when: torrent-get for the open torrent with
// the open tab's fields, once when the panel opens or the tab changes, then again whenever the
// event stream's tick names this torrent (about once a second while it moves), after a
// state/metadata event about it, and after an edit. No blind timer while the stream is live:
// only when the stream is down and polling is allowed (store.connection 'polling') does the
// panel refresh every POLL_MS on its own.
import { useEffect, useRef, useState } from 'preact/hooks';
import { rpc } from '../rpc.js';
import { store, onStreamEvent, showError } from '../store.js';

const POLL_MS = 2000;

/** torrent-get fields per tab; `files` also asks for the names (once; then fileStats only). */
export const TAB_FIELDS = {
  general: [
    'id', 'name', 'hashString', 'totalSize', 'sizeWhenDone', 'leftUntilDone', 'percentDone',
    'pieceCount', 'pieceSize', 'haveValid', 'haveUnchecked', 'corruptEver', 'creator', 'comment',
    'dateCreated', 'addedDate', 'doneDate', 'activityDate', 'startDate', 'downloadDir',
    'isPrivate', 'magnetLink', 'error', 'errorString', 'uploadRatio', 'uploadedEver',
    'downloadedEver', 'secondsSeeding', 'secondsDownloading', 'status', 'labels', 'webseeds',
    'metadataPercentComplete', 'fileCount',
  ],
  files: ['id', 'fileStats'],
  peers: ['id', 'peers', 'peersFrom'],
  trackers: ['id', 'trackerStats', 'isPrivate'],
  pieces: ['id', 'pieces', 'pieceCount', 'pieceSize', 'haveValid', 'metadataPercentComplete'],
  speed: null,
};

/**
 * The open tab's data for torrent `id`: { data (the torrent-get object, or null while loading),
 * error, refresh(), edit(optimistic, args) (a torrent-set shown at once, below) }.
 */
export function useDetailsData(id, tab) {
  const [state, setState] = useState({ key: '', data: null, error: '' });
  const key = `${id}:${tab}`;
  const live = useRef({ key, seq: 0, applied: 0, inFlight: false, again: false, needNames: true, editing: 0 });

  const doFetch = () => {
    const l = live.current;
    const fields = TAB_FIELDS[tab];
    if (!fields) return;
    if (l.inFlight) {
      l.again = true; // one more right after: never two at once, never a queue
      return;
    }
    l.inFlight = true;
    const seq = ++l.seq;
    const myKey = l.key;
    const withNames = tab === 'files' && l.needNames;
    // A reply to a request sent while an edit is on its way may predate the edit: drop it (the
    // edit refetches when it is done).
    const duringEdit = l.editing > 0;
    const ask = withNames ? [...fields, 'files'] : fields;
    rpc('torrent-get', { ids: [id], fields: ask })
      .then(({ torrents }) => {
        if (live.current !== l || seq <= l.applied || duringEdit) return;
        l.applied = seq;
        const t = torrents?.[0];
        if (!t) {
          setState({ key: myKey, data: null, error: 'This torrent is gone.' });
          return;
        }
        if (withNames) l.needNames = false;
        setState((prev) => {
          // Keep the file names from the first reply: later ones carry only fileStats.
          const base = prev.key === myKey && prev.data ? prev.data : {};
          return { key: myKey, data: { ...base, ...t }, error: '' };
        });
      })
      .catch((e) => {
        if (live.current !== l) return;
        if (e.status === 401) return;
        setState((prev) => ({ key: myKey, data: prev.key === myKey ? prev.data : null, error: e.message }));
      })
      .finally(() => {
        if (live.current !== l) return; // the panel moved on: this request's bookkeeping is gone
        l.inFlight = false;
        if (l.again) {
          l.again = false;
          doFetch();
        }
      });
  };

  // A new torrent or tab: start over.
  if (live.current.key !== key) {
    live.current = { key, seq: 0, applied: 0, inFlight: false, again: false, needNames: true, editing: 0 };
  }

  useEffect(() => {
    doFetch();
    const off = onStreamEvent((name, data) => {
      if (name === 'tick') {
        if (data.torrents?.some((t) => t.id === id)) doFetch();
      } else if (name === 'metadata-received' && data.id === id) {
        live.current.needNames = true;
        doFetch();
      } else if ((name === 'torrent-state' || name === 'torrent-finished' || name === 'torrent-error') && data.id === id) {
        doFetch();
      } else if (name === 'hello' || name === 'reset') {
        doFetch();
      }
    });
    // The stream is down and polling is allowed: refresh like the store's own polling does.
    const timer = setInterval(() => {
      if (store.connection === 'polling' && window.__tessera?.pollingAllowed !== false) doFetch();
    }, POLL_MS);
    return () => {
      off();
      clearInterval(timer);
    };
  }, [key]);

  const current = state.key === key ? state : { key, data: null, error: '' };
  return {
    data: current.data,
    error: current.error,
    refresh: doFetch,
    /**
     * An edit: `optimistic(data)` gives the data as it will be (shown at once), `args` go to
     * torrent-set (or `method`); then the tab refetches (with the file names when `names`).
     * Resolves when the daemon answered; rejects with its error (shown in the message bar; the
     * refetch puts the truth back).
     */
    async edit(optimistic, args, { method = 'torrent-set', names = false } = {}) {
      const l = live.current;
      if (optimistic) {
        l.applied = ++l.seq; // replies to earlier requests would undo the edit: drop them
        setState((prev) => (prev.key === key && prev.data ? { ...prev, data: optimistic(prev.data) } : prev));
      }
      l.editing++;
      try {
        await rpc(method, { ids: [id], ...args });
        if (names) l.needNames = true; // a rename: fetch the file names again
      } catch (e) {
        showError(e);
        throw e;
      } finally {
        l.editing--;
        if (live.current === l) doFetch();
      }
    },
  };
}

