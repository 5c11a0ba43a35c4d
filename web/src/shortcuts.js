// The page's keyboard shortcuts (the help dialog lists them): actions on the selection, add,
// search, help. Not while typing in a field, nor while a dialog is open; the list's own keys
// (arrows, space, Ctrl+A, Enter) are in torrent_list.jsx.
import { ui, update, openDialog } from './ui.js';
import { runAction } from './actions.js';
import { openAdd, isTextField } from './drop_and_paste.js';
import { clearSelection, selectAll } from './selection.js';
import { listView } from './list_model.js';

function actionFor(e) {
  const k = e.key;
  if (e.altKey && !e.ctrlKey && !e.metaKey) {
    return { ArrowUp: 'queue-up', ArrowDown: 'queue-down', Home: 'queue-top', End: 'queue-bottom' }[k] || null;
  }
  if (e.ctrlKey || e.metaKey) return null;
  if (k === 'Delete') return e.shiftKey ? 'remove-data' : 'remove';
  if (k === 'F2') return 'rename';
  return { s: 'start', S: 'start-now', p: 'stop', v: 'verify', u: 'reannounce', m: 'move', g: 'limits', l: 'labels', i: 'details' }[k] || null;
}

export function installShortcuts() {
  const onKey = (e) => {
    if (e.defaultPrevented || ui.dialog || isTextField(e.target)) return;
    if (document.querySelector('.menu')) return; // an open menu has the keys
    const action = actionFor(e);
    if (action) {
      e.preventDefault();
      runAction(action);
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) {
      if ((e.ctrlKey || e.metaKey) && (e.key === 'a' || e.key === 'A') && !e.altKey) {
        e.preventDefault();
        selectAll(listView().list);
      }
      return;
    }
    switch (e.key) {
      case 'a':
        e.preventDefault();
        openAdd();
        break;
      case '?':
        e.preventDefault();
        openDialog('help');
        break;
      case '/':
        e.preventDefault();
        document.querySelector('input[type=search]')?.focus();
        break;
      case 'Escape':
        if (ui.detailsId !== null) update({ detailsId: null });
        else if (ui.sidebarOpen) update({ sidebarOpen: false });
        else if (ui.selected.size) clearSelection();
        break;
      default:
        break;
    }
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
