// The Trackers tab: each tracker's tier, URL, state in words, last and next announce, the swarm
// it reports, and its error; a tracker can be added (torrent-set trackerAdd) or removed
// (trackerRemove).
import { useState } from 'preact/hooks';
import { formatDate } from '../format.js';
import { Loading } from './loading.jsx';
import { formatRelative } from './when.js';

/** A tracker's state in words: announcing now, or how the last announce went. */
export function trackerStatus(s) {
  switch (s.announceState) {
    case 3: return 'Announcing';
    case 2: return 'Queued';
    case 0: return 'Inactive';
    default: break;
  }
  if (!s.hasAnnounced) return 'Not contacted yet';
  if (s.lastAnnounceSucceeded) return 'Working';
  if (s.lastAnnounceTimedOut) return 'Timed out';
  return 'Not working';
}

function count(n) {
  return n === undefined || n < 0 ? '–' : n.toLocaleString();
}

function isTrackerUrl(text) {
  try {
    const u = new URL(text);
    return ['http:', 'https:', 'udp:'].includes(u.protocol) && !!u.hostname;
  } catch {
    return false;
  }
}

export function TrackersTab({ data, error, edit }) {
  const [url, setUrl] = useState('');
  const [problem, setProblem] = useState('');
  if (!data) return <Loading data={data} error={error} />;
  const list = [...(data.trackerStats || [])].sort((a, b) => a.tier - b.tier || a.id - b.id);
  const now = Date.now();

  const add = async (e) => {
    e.preventDefault();
    const text = url.trim();
    if (!isTrackerUrl(text)) {
      setProblem('A tracker URL starts with http://, https:// or udp:// and names a host.');
      return;
    }
    if (list.some((s) => s.announce === text)) {
      setProblem('This tracker is in the list already.');
      return;
    }
    setProblem('');
    try {
      await edit(null, { trackerAdd: [text] });
      setUrl('');
    } catch (err) {
      setProblem(err.message);
    }
  };
  const remove = (s) =>
    edit((d) => ({ ...d, trackerStats: d.trackerStats.filter((x) => x.id !== s.id) }), { trackerRemove: [s.id] })
      .catch((err) => setProblem(err.message));

  return (
    <div class="d-trackers">
      {error && <p class="details-error" role="alert">{error}</p>}
      {list.length === 0 ? (
        <p class="details-empty">No trackers: peers come from the DHT, peer exchange and local discovery.</p>
      ) : (
        <ul class="tracker-list">
          {list.map((s) => {
            const failed = s.hasAnnounced && !s.lastAnnounceSucceeded;
            const status = trackerStatus(s);
            return (
              <li key={s.id} data-tracker={s.id} class={`tracker${failed ? ' failed' : ''}`}>
                <div class="tracker-head">
                  <span class="d-tier" data-col="tier" title="Tier">{`Tier ${s.tier + 1}`}</span>
                  <span class="d-url" data-col="url">{s.announce}</span>
                  <button type="button" class="d-btn d-icon-btn" data-action="remove-tracker" aria-label={`Remove tracker ${s.announce}`}
                    title="Remove this tracker" onClick={() => remove(s)}>
                    <span aria-hidden="true">×</span>
                  </button>
                </div>
                <dl class="tracker-facts">
                  <div>
                    <dt class="visually-hidden">Status</dt>
                    <dd class={`tstate ${failed ? 'bad' : status === 'Working' ? 'good' : ''}`} data-col="status">{status}</dd>
                  </div>
                  <div>
                    <dt>Last announce</dt>
                    <dd data-col="last" title={formatDate(s.lastAnnounceTime)}>
                      {s.hasAnnounced
                        ? [formatRelative(s.lastAnnounceTime, now), s.lastAnnounceSucceeded ? `${s.lastAnnouncePeerCount ?? 0} peers` : 'failed'].filter(Boolean).join(': ')
                        : '–'}
                    </dd>
                  </div>
                  <div>
                    <dt>Next</dt>
                    <dd data-col="next" title={formatDate(s.nextAnnounceTime)}>{formatRelative(s.nextAnnounceTime, now) || '–'}</dd>
                  </div>
                  <div>
                    <dt>Seeds</dt>
                    <dd data-col="seeds">{count(s.seederCount)}</dd>
                  </div>
                  <div>
                    <dt>Leechers</dt>
                    <dd data-col="leechers">{count(s.leecherCount)}</dd>
                  </div>
                </dl>
                <p class="tracker-error" data-col="error" role={failed ? 'note' : undefined}>
                  {failed ? s.lastAnnounceResult || 'The announce failed.' : ''}
                </p>
              </li>
            );
          })}
        </ul>
      )}
      <form class="add-tracker" onSubmit={add}>
        <label for="add-tracker-url">Add a tracker</label>
        <div class="d-inline">
          <input id="add-tracker-url" type="url" inputMode="url" placeholder="udp://tracker.example:1337/announce" value={url}
            onInput={(e) => setUrl(e.target.value)} aria-invalid={problem ? 'true' : 'false'} aria-describedby="add-tracker-problem" />
          <button type="submit" data-action="add-tracker">Add</button>
        </div>
        <p id="add-tracker-problem" class="field-problem" role="status">{problem}</p>
      </form>
    </div>
  );
}
