// The Speed tab: this torrent's down and up rates over the last 10 minutes, from the per-second
// history the store keeps (store.torrentHistory, filled by the stream's ticks): no RPC.
import { store } from '../store.js';
import { SpeedChart } from '../speed_chart.jsx';

const NONE = [];

export function SpeedTab({ id, torrent }) {
  const points = store.torrentHistory.get(id) || NONE;
  return (
    <div class="d-speed">
      <SpeedChart points={points} label={`Speed of ${torrent?.name ?? 'this torrent'}`} class="details-chart" />
      {points.length < 2 && <p class="details-empty">The graph fills in as the daemon reports the rates, once a second.</p>}
    </div>
  );
}
