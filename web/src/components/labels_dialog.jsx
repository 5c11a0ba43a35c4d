// Editing the labels of the selection: each label known (on any torrent) with a checkbox that is
// checked when every selected torrent has it, mixed when some do (left as it is unless clicked),
// and a field to add new ones. Applied with torrent-set `labels`, one call per resulting set.
import { useState } from 'preact/hooks';
import { store, refreshTorrents, showError } from '../store.js';
import { rpc } from '../rpc.js';
import { listView } from '../list_model.js';
import { Dialog, ConfirmFooter } from './dialog.jsx';

export function LabelsDialog({ ids, onClose }) {
  const torrents = ids.map((id) => store.torrents.get(id)).filter(Boolean);
  const initial = {};
  for (const [name] of listView().labels) {
    const n = torrents.filter((t) => (t.labels || []).includes(name)).length;
    initial[name] = n === 0 ? 'none' : n === torrents.length ? 'all' : 'some';
  }
  const [states, setStates] = useState(initial);
  const [fresh, setFresh] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  function addFresh() {
    const names = fresh.split(',').map((x) => x.trim()).filter(Boolean);
    if (!names.length) return false;
    const next = { ...states };
    for (const n of names) next[n] = 'all';
    setStates(next);
    setFresh('');
    return true;
  }

  async function confirm() {
    const pending = fresh.split(',').map((x) => x.trim()).filter(Boolean);
    const final = { ...states };
    for (const n of pending) final[n] = 'all';
    setBusy(true);
    setError('');
    // Group the torrents by their new label list: one torrent-set per distinct list.
    const groups = new Map();
    for (const t of torrents) {
      const mine = new Set(t.labels || []);
      const out = Object.keys(final).filter((l) => final[l] === 'all' || (final[l] === 'some' && mine.has(l)));
      const key = JSON.stringify(out);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(t.id);
    }
    try {
      for (const [key, group] of groups) await rpc('torrent-set', { ids: group, labels: JSON.parse(key) });
      await refreshTorrents(torrents.map((t) => t.id)).catch(showError);
      onClose();
    } catch (e) {
      setError(e.message);
      setBusy(false);
    }
  }

  const names = Object.keys(states).sort((a, b) => a.localeCompare(b));
  return (
    <Dialog
      kind="labels"
      title={torrents.length === 1 ? `Labels of “${torrents[0].name}”` : `Labels of ${torrents.length} torrents`}
      onClose={onClose}
      onSubmit={confirm}
      footer={<ConfirmFooter onClose={onClose} confirmLabel="Apply" busy={busy} disabled={!torrents.length} />}
    >
      {names.length ? (
        <ul class="label-checks">
          {names.map((n) => (
            <li key={n}>
              <label class="check">
                <input
                  type="checkbox"
                  data-label-check={n}
                  checked={states[n] === 'all'}
                  ref={(el) => el && (el.indeterminate = states[n] === 'some')}
                  onChange={(e) => setStates({ ...states, [n]: e.currentTarget.checked ? 'all' : 'none' })}
                />
                <span class="chip">{n}</span>
                {states[n] === 'some' && <span class="muted small">on some</span>}
              </label>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">No labels yet.</p>
      )}
      <div class="row-field">
        <label for="labels-new" class="visually-hidden">
          New label
        </label>
        <input
          id="labels-new"
          data-labels="new"
          placeholder="New label (several: comma-separated)"
          value={fresh}
          onInput={(e) => setFresh(e.currentTarget.value)} onChange={(e) => setFresh(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && fresh.trim()) {
              e.preventDefault();
              addFresh();
            }
          }}
        />
        <button type="button" class="button" onClick={addFresh} disabled={!fresh.trim()}>
          Add
        </button>
      </div>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
