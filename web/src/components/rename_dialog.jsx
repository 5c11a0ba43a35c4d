// Renaming a torrent: its top name (the single file, or the top folder) with torrent-rename-path.
import { useState } from 'preact/hooks';
import { store, refreshTorrents, showError } from '../store.js';
import { rpc } from '../rpc.js';
import { Dialog, ConfirmFooter } from './dialog.jsx';

export function RenameDialog({ id, onClose }) {
  const t = store.torrents.get(id);
  const [name, setName] = useState(t?.name || '');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const trimmed = name.trim();
  const invalid = !trimmed || trimmed === '.' || trimmed === '..' || trimmed.includes('/');

  async function confirm() {
    if (!t || invalid) return;
    if (trimmed === t.name) return onClose();
    setBusy(true);
    setError('');
    try {
      await rpc('torrent-rename-path', { ids: [t.id], path: t.name, name: trimmed });
      await refreshTorrents([t.id]).catch(showError);
      onClose();
    } catch (e) {
      setError(e.message === 'File exists' ? 'Something with that name is already there.' : e.message);
      setBusy(false);
    }
  }

  return (
    <Dialog
      kind="rename"
      title="Rename torrent"
      onClose={onClose}
      onSubmit={confirm}
      footer={<ConfirmFooter onClose={onClose} confirmLabel="Rename" busy={busy} disabled={invalid} />}
    >
      <label class="field">
        <span>New name</span>
        <input
          data-rename="name"
          defaultValue={name}
          onInput={(e) => setName(e.currentTarget.value)} onChange={(e) => setName(e.currentTarget.value)}
          spellcheck={false}
          data-autofocus
          ref={(el) => {
            // Select the name without its extension, as file managers do.
            if (el && !el.dataset.sel) {
              el.dataset.sel = '1';
              const dot = name.lastIndexOf('.');
              requestAnimationFrame(() => el.setSelectionRange(0, dot > 0 ? dot : name.length));
            }
          }}
        />
      </label>
      <p class="muted small">Renames the {t?.name?.includes('.') ? 'file or folder' : 'folder or file'} on disk too. Peers still see the original name.</p>
      {invalid && trimmed && <p class="form-error">A name cannot be “.”, “..” or hold “/”.</p>}
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
