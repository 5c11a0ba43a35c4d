// The Peers tab: the connected peers, fastest download first, with where they came from
// (peersFrom) above the table and a legend of the flags below it.
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

function flagTitle(flagStr) {
  return [...(flagStr || '')].map((c) => `${c}: ${FLAGS[c] || 'unknown'}`).join('\n');
}

export function PeersTab({ data, error }) {
  if (!data) return <Loading data={data} error={error} />;
  const peers = [...(data.peers || [])].sort(
    (a, b) => b.rateToClient - a.rateToClient || b.rateToPeer - a.rateToPeer || a.address.localeCompare(b.address),
  );
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
                <th scope="col">Address</th>
                <th scope="col">Client</th>
                <th scope="col"><abbr title="See the legend below the table">Flags</abbr></th>
                <th scope="col" class="d-num">Has</th>
                <th scope="col" class="d-num">Down</th>
                <th scope="col" class="d-num">Up</th>
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
