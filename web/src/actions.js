// What the toolbar, the keyboard and the menus do to the selected torrents: one RPC call, then a
// refetch of the touched torrents (the event stream pushes the change too, but the refetch makes
// the result visible at once when the stream is down). Failures go to the message bar.

import { rpc } from './rpc.js';
import { store, refreshTorrents, refreshSession, showError } from './store.js';
import { ui, update, openDialog } from './ui.js';
import { listView } from './list_model.js';

/**
 * The selected ids that are in the list as filtered now: a torrent selected and then hidden by a
 * filter or the search is not acted on (no removing what the user cannot see).
 */
export function selectedIds() {
  const { ids } = listView();
  return [...ui.selected].filter((id) => ids.has(id));
}

export function selectedTorrents() {
  return selectedIds().map((id) => store.torrents.get(id));
}

/** Calls `method` on `ids`, then refreshes them; resolves true on success. */
export async function act(method, ids, args = {}) {
  if (!ids.length) return false;
  try {
    await rpc(method, { ids, ...args });
    await refreshTorrents(ids).catch(() => {});
    return true;
  } catch (e) {
    showError(e);
    return false;
  }
}

const SIMPLE = {
  start: 'torrent-start',
  stop: 'torrent-stop',
  'start-now': 'torrent-start-now',
  verify: 'torrent-verify',
  reannounce: 'torrent-reannounce',
  'queue-top': 'queue-move-top',
  'queue-up': 'queue-move-up',
  'queue-down': 'queue-move-down',
  'queue-bottom': 'queue-move-bottom',
};

/** The actions on the selection: key -> { label, icon, needs (selection size: 1 or 'any') }. */
export const ACTIONS = {
  start: { label: 'Start', icon: 'play', key: 's' },
  'start-now': { label: 'Start now (skip the queue)', icon: 'forward', key: 'Shift+S' },
  stop: { label: 'Stop', icon: 'pause', key: 'p' },
  verify: { label: 'Verify local data', icon: 'verify', key: 'v' },
  reannounce: { label: 'Ask trackers for more peers', icon: 'announce', key: 'u' },
  remove: { label: 'Remove from list', icon: 'remove', key: 'Delete' },
  'remove-data': { label: 'Remove and delete data', icon: 'trash', key: 'Shift+Delete' },
  move: { label: 'Move data…', icon: 'move', key: 'm' },
  rename: { label: 'Rename…', icon: 'rename', key: 'F2', single: true },
  'queue-top': { label: 'Move to top of queue', icon: 'top', key: 'Alt+Home' },
  'queue-up': { label: 'Move up in queue', icon: 'up', key: 'Alt+↑' },
  'queue-down': { label: 'Move down in queue', icon: 'down', key: 'Alt+↓' },
  'queue-bottom': { label: 'Move to bottom of queue', icon: 'bottom', key: 'Alt+End' },
  limits: { label: 'Speed limits and seeding goals…', icon: 'gauge', key: 'g' },
  labels: { label: 'Labels…', icon: 'tag', key: 'l' },
  details: { label: 'Details', icon: 'info', key: 'Enter', single: true },
};

/** Runs an action of ACTIONS on the selection (dialogs open; simple ones call the RPC). */
export function runAction(name) {
  const ids = selectedIds();
  if (!ids.length) return;
  if (SIMPLE[name]) {
    act(SIMPLE[name], ids);
    return;
  }
  switch (name) {
    case 'remove':
    case 'remove-data':
      openDialog('remove', { ids, withData: name === 'remove-data' });
      break;
    case 'move':
    case 'limits':
    case 'labels':
      openDialog(name, { ids });
      break;
    case 'rename':
      openDialog('rename', { id: ui.focused !== null && ui.selected.has(ui.focused) ? ui.focused : ids[0] });
      break;
    case 'details':
      update({ detailsId: ui.focused !== null && ui.selected.has(ui.focused) ? ui.focused : ids[0] });
      break;
    default:
      break;
  }
}

/** Turns the alternative speed limits on or off. */
export async function toggleAltSpeed() {
  try {
    await rpc('session-set', { 'alt-speed-enabled': !store.session['alt-speed-enabled'] });
    await refreshSession();
  } catch (e) {
    showError(e);
  }
}
