// Removing torrents: without data, a plain confirmation; with data, a confirmation that names what
// will be deleted: each torrent and its download directory, and for one torrent its files.
import { useEffect, useState } from 'preact/hooks';
import { store, showError } from '../store.js';
import { rpc } from '../rpc.js';
import { act } from '../actions.js';
import { formatBytes } from '../format.js';
import { Dialog, ConfirmFooter } from './dialog.jsx';

const MAX_LISTED = 200;

export function RemoveDialog({ ids, withData, onClose }) {
  const torrents = ids.map((id) => store.torrents.get(id)).filter(Boolean);
  const [files, setFiles] = useState(null);
  const [busy, setBusy] = useState(false);
  const one = torrents.length === 1;

  useEffect(() => {
    if (!withData || !one) return;
    rpc('torrent-get', { ids: [torrents[0].id], fields: ['id', 'files'] }).then(
      (r) => setFiles(r.torrents[0]?.files || []),
      (e) => showError(e),
    );
  }, []);

  async function confirm() {
    setBusy(true);
    const ok = await act('torrent-remove', torrents.map((t) => t.id), { 'delete-local-data': withData });
    setBusy(false);
    if (ok) onClose();
  }

  const n = torrents.length;
  const what = one ? `“${torrents[0].name}”` : `${n} torrents`;
  return (
    <Dialog
      kind="remove"
      title={withData ? `Delete ${one ? 'torrent' : `${n} torrents`} and data?` : `Remove ${one ? 'torrent' : `${n} torrents`}?`}
      onClose={onClose}
      onSubmit={confirm}
      wide={withData}
      footer={<ConfirmFooter onClose={onClose} confirmLabel={withData ? 'Delete data' : 'Remove'} danger busy={busy} disabled={!n} />}
    >
      {withData ? (
        <>
          <p>
            Removes {what} from the list and <strong>deletes the downloaded data</strong> from the disk. This cannot be
            undone.
          </p>
          <ul class="remove-list" data-remove-list>
            {torrents.slice(0, MAX_LISTED).map((t) => (
              <li key={t.id} data-remove-id={t.id}>
                <span class="remove-name">{t.name}</span>
                <span class="muted small"> in {t.downloadDir || '(unknown directory)'}</span>
              </li>
            ))}
            {n > MAX_LISTED && <li class="muted">… and {n - MAX_LISTED} more</li>}
          </ul>
          {one && (
            <>
              <h3 class="small-title">Files that will be deleted</h3>
              {files === null ? (
                <p class="muted">Loading the file list…</p>
              ) : (
                <ul class="file-names" data-remove-files>
                  {files.slice(0, MAX_LISTED).map((f) => (
                    <li key={f.name}>
                      <span>{f.name}</span> <span class="muted small num">{formatBytes(f.length)}</span>
                    </li>
                  ))}
                  {files.length > MAX_LISTED && <li class="muted">… and {files.length - MAX_LISTED} more</li>}
                </ul>
              )}
              <p class="muted small">Only files the torrent wrote or verified are deleted.</p>
            </>
          )}
        </>
      ) : (
        <p>
          Removes {what} from the list. The downloaded data stays on the disk.
        </p>
      )}
    </Dialog>
  );
}
