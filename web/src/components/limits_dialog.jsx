// Per-torrent speed limits, seeding goals, bandwidth priority and peer limit (torrent-set), for
// the whole selection; the fields start from the first selected torrent's values.
import { useState } from 'preact/hooks';
import { store } from '../store.js';
import { act } from '../actions.js';
import { Dialog, ConfirmFooter } from './dialog.jsx';

const num = (v, dflt = 0) => (Number.isFinite(Number(v)) ? Number(v) : dflt);

export function LimitsDialog({ ids, onClose }) {
  const torrents = ids.map((id) => store.torrents.get(id)).filter(Boolean);
  const t = torrents[0] || {};
  const s = store.session;
  const [v, setV] = useState({
    downloadLimited: !!t.downloadLimited,
    downloadLimit: t.downloadLimit ?? 100,
    uploadLimited: !!t.uploadLimited,
    uploadLimit: t.uploadLimit ?? 100,
    seedRatioMode: t.seedRatioMode ?? 0,
    seedRatioLimit: t.seedRatioLimit ?? s.seedRatioLimit ?? 2,
    seedIdleMode: t.seedIdleMode ?? 0,
    seedIdleLimit: t.seedIdleLimit ?? s['idle-seeding-limit'] ?? 30,
    bandwidthPriority: t.bandwidthPriority ?? 0,
    honorsSessionLimits: t.honorsSessionLimits ?? true,
    peerLimit: t['peer-limit'] ?? s['peer-limit-per-torrent'] ?? 50,
  });
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });

  async function confirm() {
    setBusy(true);
    const ok = await act('torrent-set', torrents.map((x) => x.id), {
      downloadLimited: v.downloadLimited,
      downloadLimit: Math.max(0, Math.round(num(v.downloadLimit))),
      uploadLimited: v.uploadLimited,
      uploadLimit: Math.max(0, Math.round(num(v.uploadLimit))),
      seedRatioMode: num(v.seedRatioMode),
      seedRatioLimit: Math.max(0, num(v.seedRatioLimit)),
      seedIdleMode: num(v.seedIdleMode),
      seedIdleLimit: Math.max(1, Math.round(num(v.seedIdleLimit, 30))),
      bandwidthPriority: num(v.bandwidthPriority),
      honorsSessionLimits: v.honorsSessionLimits,
      'peer-limit': Math.max(1, Math.round(num(v.peerLimit, 50))),
    });
    setBusy(false);
    if (ok) onClose();
  }

  const global = (key, unit) => (s[key] !== undefined ? ` (${s[key]}${unit})` : '');
  return (
    <Dialog
      kind="limits"
      title={torrents.length === 1 ? `Limits of “${t.name}”` : `Limits of ${torrents.length} torrents`}
      onClose={onClose}
      onSubmit={confirm}
      footer={<ConfirmFooter onClose={onClose} confirmLabel="Apply" busy={busy} disabled={!torrents.length} />}
    >
      <fieldset class="group">
        <legend>Speed</legend>
        <div class="row-field">
          <label class="check">
            <input type="checkbox" data-limits="downloadLimited" checked={v.downloadLimited} onChange={set('downloadLimited')} />
            <span>Limit download to</span>
          </label>
          <input class="narrow" type="number" min="0" aria-label="Download limit in kB/s" data-limits="downloadLimit" defaultValue={v.downloadLimit} disabled={!v.downloadLimited} onInput={set('downloadLimit')} onChange={set('downloadLimit')} />
          <span class="unit">kB/s</span>
        </div>
        <div class="row-field">
          <label class="check">
            <input type="checkbox" data-limits="uploadLimited" checked={v.uploadLimited} onChange={set('uploadLimited')} />
            <span>Limit upload to</span>
          </label>
          <input class="narrow" type="number" min="0" aria-label="Upload limit in kB/s" data-limits="uploadLimit" defaultValue={v.uploadLimit} disabled={!v.uploadLimited} onInput={set('uploadLimit')} onChange={set('uploadLimit')} />
          <span class="unit">kB/s</span>
        </div>
        <label class="check">
          <input type="checkbox" data-limits="honorsSessionLimits" checked={v.honorsSessionLimits} onChange={set('honorsSessionLimits')} />
          <span>Also obey the session's speed limits</span>
        </label>
        <div class="row-field">
          <label for="limits-priority">Bandwidth priority</label>
          <select id="limits-priority" data-limits="bandwidthPriority" value={String(v.bandwidthPriority)} onChange={set('bandwidthPriority')}>
            <option value="1">High</option>
            <option value="0">Normal</option>
            <option value="-1">Low</option>
          </select>
        </div>
      </fieldset>
      <fieldset class="group">
        <legend>Seeding goals</legend>
        <div class="row-field">
          <label for="limits-ratio-mode">Stop at ratio</label>
          <select id="limits-ratio-mode" data-limits="seedRatioMode" value={String(v.seedRatioMode)} onChange={set('seedRatioMode')}>
            <option value="0">{`As the session${s.seedRatioLimited ? global('seedRatioLimit', '') : ' (none)'}`}</option>
            <option value="1">This ratio:</option>
            <option value="2">Never</option>
          </select>
          <input class="narrow" type="number" min="0" step="0.1" aria-label="Seeding ratio" data-limits="seedRatioLimit" defaultValue={v.seedRatioLimit} disabled={String(v.seedRatioMode) !== '1'} onInput={set('seedRatioLimit')} onChange={set('seedRatioLimit')} />
        </div>
        <div class="row-field">
          <label for="limits-idle-mode">Stop when idle</label>
          <select id="limits-idle-mode" data-limits="seedIdleMode" value={String(v.seedIdleMode)} onChange={set('seedIdleMode')}>
            <option value="0">{`As the session${s['idle-seeding-limit-enabled'] ? global('idle-seeding-limit', ' min') : ' (never)'}`}</option>
            <option value="1">After:</option>
            <option value="2">Never</option>
          </select>
          <input class="narrow" type="number" min="1" aria-label="Idle minutes" data-limits="seedIdleLimit" defaultValue={v.seedIdleLimit} disabled={String(v.seedIdleMode) !== '1'} onInput={set('seedIdleLimit')} onChange={set('seedIdleLimit')} />
          <span class="unit">min</span>
        </div>
      </fieldset>
      <fieldset class="group">
        <legend>Peers</legend>
        <div class="row-field">
          <label for="limits-peers">Maximum connected peers</label>
          <input id="limits-peers" class="narrow" type="number" min="1" data-limits="peer-limit" defaultValue={v.peerLimit} onInput={set('peerLimit')} onChange={set('peerLimit')} />
        </div>
      </fieldset>
    </Dialog>
  );
}
