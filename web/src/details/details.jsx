// The details of one torrent: a region in the pane the shell gives it (full screen on a phone), its
// name, a close button (and Escape), and six tabs (ARIA tabs: arrow keys, Home and End move
// between them). The open tab is remembered in ui.detailsTab; each tab fetches its own fields
// (fetch.js) and refreshes when the event stream says the torrent moved.
import { useEffect, useRef } from 'preact/hooks';
import { ui, update } from '../ui.js';
import { store } from '../store.js';
import { useDetailsData } from './fetch.js';
import { GeneralTab } from './general.jsx';
import { FilesTab } from './files.jsx';
import { PeersTab } from './peers.jsx';
import { TrackersTab } from './trackers.jsx';
import { PiecesTab } from './pieces.jsx';
import { SpeedTab } from './speed.jsx';

// The browser tests (and the console) can open the panel: window.__tessera.ui.
if (window.__tessera) window.__tessera.ui = ui;

const TAB_KEY = 'tessera-details-tab';

export const TABS = [
  { key: 'general', label: 'General' },
  { key: 'files', label: 'Files' },
  { key: 'peers', label: 'Peers' },
  { key: 'trackers', label: 'Trackers' },
  { key: 'pieces', label: 'Pieces' },
  { key: 'speed', label: 'Speed' },
];

// The tab last chosen, across visits (ui.detailsTab keeps it within one).
try {
  const saved = localStorage.getItem(TAB_KEY);
  if (saved && ui.detailsTab === 'general' && TABS.some((t) => t.key === saved)) ui.detailsTab = saved;
} catch {
  /* no storage (private mode): the default tab */
}

/**
 * A letter typed on a priority <select> picks an option (typeahead): it must not reach the page's
 * one-letter shortcuts on the document (l = labels, s = start...).
 */
function keepTypeahead(e) {
  if (e.target.tagName === 'SELECT' && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) e.stopPropagation();
}

export function closeDetails() {
  update({ detailsId: null });
}

export function Details({ id }) {
  const tab = TABS.some((t) => t.key === ui.detailsTab) ? ui.detailsTab : 'general';
  const t = store.torrents.get(id);
  const { data, error, refresh, edit } = useDetailsData(id, tab);
  const tabRefs = useRef({});
  const region = useRef(null);

  // Escape closes: inside the panel, or anywhere when no dialog is open and the focus is on
  // nothing in particular (a text field or a menu keeps its own Escape).
  useEffect(() => {
    const onKey = (e) => {
      if (e.key !== 'Escape' || e.defaultPrevented || ui.dialog) return;
      const a = document.activeElement;
      const inPanel = region.current?.contains(a);
      if (inPanel || !a || a === document.body) {
        e.preventDefault();
        closeDetails();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  // The selected tab in view (the tab list scrolls sideways on a phone).
  useEffect(() => {
    tabRefs.current[tab]?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
  }, [tab]);

  // On a phone the panel covers the list: take the focus into it.
  useEffect(() => {
    if (window.matchMedia?.('(max-width: 700px)').matches) region.current?.querySelector('.details-back')?.focus();
  }, [id]);

  const select = (key, focus) => {
    update({ detailsTab: key });
    try {
      localStorage.setItem(TAB_KEY, key);
    } catch {
      /* not kept: fine */
    }
    if (focus) tabRefs.current[key]?.focus();
  };
  const onTabKey = (e) => {
    // ui.detailsTab, not `tab`: two keys in one frame must not both start from the old tab.
    const i = Math.max(0, TABS.findIndex((x) => x.key === ui.detailsTab));
    let j = -1;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') j = (i + 1) % TABS.length;
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') j = (i + TABS.length - 1) % TABS.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = TABS.length - 1;
    if (j < 0) return;
    e.preventDefault();
    select(TABS[j].key, true);
  };

  const name = t?.name ?? data?.name ?? `Torrent ${id}`;
  const props = { key: id, id, torrent: t, data, error, refresh, edit };
  return (
    <section class="details" role="region" aria-label="Details" data-id={id} ref={region} onKeyDown={keepTypeahead}>
      <div class="details-head">
        <button type="button" class="details-back" aria-label="Back to the list" onClick={closeDetails}>
          <span aria-hidden="true">‹</span>
        </button>
        <h2 class="details-title" title={name} id="details-title">{name}</h2>
        <div class="details-tabs" role="tablist" aria-label="Details of the torrent" onKeyDown={onTabKey}>
          {TABS.map((x) => (
            <button
              type="button"
              role="tab"
              key={x.key}
              id={`details-tab-${x.key}`}
              data-tab={x.key}
              aria-selected={x.key === tab ? 'true' : 'false'}
              aria-controls="details-panel"
              tabIndex={x.key === tab ? 0 : -1}
              ref={(el) => (tabRefs.current[x.key] = el)}
              onClick={() => select(x.key, false)}
            >
              {x.label}
            </button>
          ))}
        </div>
        <button type="button" class="details-close" aria-label="Close details" data-action="close-details" onClick={closeDetails}>
          <span aria-hidden="true">×</span>
        </button>
      </div>
      <div class={`details-body tab-${tab}`} role="tabpanel" tabIndex={0} id="details-panel" aria-labelledby={`details-tab-${tab}`} data-panel={tab}>
        {tab === 'general' && <GeneralTab {...props} />}
        {tab === 'files' && <FilesTab {...props} />}
        {tab === 'peers' && <PeersTab {...props} />}
        {tab === 'trackers' && <TrackersTab {...props} />}
        {tab === 'pieces' && <PiecesTab {...props} />}
        {tab === 'speed' && <SpeedTab {...props} />}
      </div>
    </section>
  );
}
