// Moving torrents' data to another directory (torrent-set-location), or pointing them at data
// already there (move unticked: the daemon checks what it finds).
import { useState } from 'preact/hooks';
import { store } from '../store.js';
import { act } from '../actions.js';
import { Dialog, ConfirmFooter } from './dialog.jsx';
import { useFreeSpace } from './free_space.js';

export function MoveDialog({ ids, onClose }) {
  const torrents = ids.map((id) => store.torrents.get(id)).filter(Boolean);
  const [location, setLocation] = useState(torrents[0]?.downloadDir || store.session['download-dir'] || '');
  const [move, setMove] = useState(true);
  const [busy, setBusy] = useState(false);
  const free = useFreeSpace(location.trim());
  const absolute = location.trim().startsWith('/');

  async function confirm() {
    if (!absolute) return;
    setBusy(true);
    const ok = await act('torrent-set-location', torrents.map((t) => t.id), { location: location.trim(), move });
    setBusy(false);
    if (ok) onClose();
  }

  return (
    <Dialog
      kind="move"
      title={torrents.length === 1 ? `Move “${torrents[0].name}”` : `Move ${torrents.length} torrents`}
      onClose={onClose}
      onSubmit={confirm}
      footer={<ConfirmFooter onClose={onClose} confirmLabel={move ? 'Move' : 'Set location'} busy={busy} disabled={!absolute} />}
    >
      <label class="field">
        <span>New location (a directory on the daemon's machine)</span>
        <input data-move="dir" defaultValue={location} onInput={(e) => setLocation(e.currentTarget.value)} onChange={(e) => setLocation(e.currentTarget.value)} spellcheck={false} data-autofocus />
      </label>
      <p class={`hint${free.error ? ' error-text' : ''}`} data-move="free" aria-live="polite">
        {free.text}
      </p>
      <label class="check">
        <input type="checkbox" data-move="move" checked={move} onChange={(e) => setMove(e.currentTarget.checked)} />
        <span>Move the data there</span>
      </label>
      <p class="muted small">
        {move ? 'The files are moved to the new directory.' : 'Nothing is moved: the torrent looks for its data in the new directory and checks it.'}
      </p>
    </Dialog>
  );
}
