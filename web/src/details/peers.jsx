// The Peers tab: the connected peers, fastest download first, with where they came from
// (peersFrom) above the table and a legend of the flags below it.
import { useState } from 'preact/hooks';
import { formatPercent, formatRate } from '../format.js';
import { Loading } from './loading.jsx';

/** Transmission's flagStr letters. */
export const FLAGS = {
  O: 'Optimistic unchoke',
  D: 'Downloading from this peer',
  d: 'We would download from this peer if it let us',
  U: 'Uploading to this peer',
  u: 'We would upload to this peer if it asked',
  K: 'The peer unchoked us, but we are not interested',
  '?': 'We unchoked the peer, but it is not interested',
  E: 'Encrypted connection',
  H: 'Peer found through the DHT',
  X: 'Peer found through peer exchange (PEX)',
  I: 'Incoming connection',
  T: 'Connected over µTP',
};

const FROM = [
  ['fromTracker', 'tracker'],
  ['fromDht', 'DHT'],
  ['fromPex', 'PEX'],
  ['fromLpd', 'local discovery'],
  ['fromIncoming', 'incoming'],
  ['fromCache', 'given'],
  ['fromLtep', 'extension handshake'],
];

/** The table's columns: key (data-col), heading, sort value, numeric (right-aligned, big first). */
const COLUMNS = [
  { key: 'address', label: 'Address', value: (p) => addressKey(p.address) },
  { key: 'client', label: 'Client', value: (p) => (p.clientName || '').toLowerCase() },
  { key: 'flags', label: 'Flags', value: (p) => p.flagStr || '' },
  { key: 'progress', label: 'Has', value: (p) => p.progress || 0, num: true },
  { key: 'down', label: 'Down', value: (p) => p.rateToClient || 0, num: true },
  { key: 'up', label: 'Up', value: (p) => p.rateToPeer || 0, num: true },
];

/** An address sortable as text: IPv4 octets zero-padded (10.0.0.9 before 10.0.0.10). */
function addressKey(a = '') {
  return /^\d+\.\d+\.\d+\.\d+$/.test(a) ? a.split('.').map((o) => o.padStart(3, '0')).join('.') : a.toLowerCase();
}

function flagTitle(flagStr) {
  return [...(flagStr || '')].map((c) => `${c}: ${FLAGS[c] || 'unknown'}`).join('\n');
}

export function PeersTab({ data, error }) {
  // Fastest download first, as a person looks for who feeds the torrent; a heading re-sorts.
  const [sort, setSort] = useState({ key: 'down', descending: true });
  if (!data) return <Loading data={data} error={error} />;
  const col = COLUMNS.find((c) => c.key === sort.key);
  const dir = sort.descending ? -1 : 1;
  const peers = [...(data.peers || [])].sort((a, b) => {
    const x = col.value(a);
    const y = col.value(b);
    if (x !== y) return (x < y ? -1 : 1) * dir;
    return b.rateToClient - a.rateToClient || b.rateToPeer - a.rateToPeer || addressKey(a.address).localeCompare(addressKey(b.address));
  });
  const sortBy = (c) =>
    setSort((s) => (s.key === c.key ? { key: c.key, descending: !s.descending } : { key: c.key, descending: !!c.num }));
  const from = data.peersFrom || {};
  const sources = FROM.filter(([k]) => from[k] > 0).map(([k, label]) => `${label} ${from[k]}`);
  const down = peers.reduce((s, p) => s + (p.rateToClient || 0), 0);
  const up = peers.reduce((s, p) => s + (p.rateToPeer || 0), 0);
  return (
    <div class="d-peers">
      {error && <p class="details-error" role="alert">{error}</p>}
      {peers.length > 0 && (
        <p class="peers-summary" data-field="peersFrom">
          {peers.length} peer{peers.length === 1 ? '' : 's'} connected
          {sources.length ? ` (found by ${sources.join(', ')})` : ''}
          {` · ↓ ${formatRate(down)} · ↑ ${formatRate(up)}`}
        </p>
      )}
      {peers.length === 0 ? (
        <p class="details-empty">No peers connected.</p>
      ) : (
        <div class="table-scroll">
          <table class="dtable peers-table" aria-label="Peers">
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th scope="col" key={c.key} class={c.num ? 'd-num' : ''}
                    aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : undefined}>
                    <button type="button" class="sort-head" data-sort={c.key} onClick={() => sortBy(c)}
                      title={c.key === 'flags' ? 'Sort by flags; their meaning is below the table' : `Sort by ${c.label.toLowerCase()}`}>
                      {c.label}
                      <span class="sort-mark" aria-hidden="true">{sort.key === c.key ? (sort.descending ? '▾' : '▴') : ''}</span>
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {peers.map((p) => (
                <tr key={`${p.address}:${p.port}`} data-peer={p.address}>
                  <td data-col="address" class="d-mono" title={p.port ? `port ${p.port}` : undefined}>{p.address}</td>
                  <td data-col="client">{p.clientName || '–'}</td>
                  <td data-col="flags" class="d-mono" title={flagTitle(p.flagStr)}>{p.flagStr}</td>
                  <td data-col="progress" class="d-num">{formatPercent(p.progress)}</td>
                  <td data-col="down" class="d-num">{p.rateToClient ? formatRate(p.rateToClient) : ''}</td>
                  <td data-col="up" class="d-num">{p.rateToPeer ? formatRate(p.rateToPeer) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <details class="d-legend">
        <summary>What the flags mean</summary>
        <dl class="flag-legend">
          {Object.entries(FLAGS).map(([c, text]) => (
            <div key={c}>
              <dt class="d-mono">{c}</dt>
              <dd>{text}</dd>
            </div>
          ))}
        </dl>
      </details>
    </div>
  );
}
