// The header's session graph: a sparkline of the session's down and up rates over the last 10
// minutes (store.history, one point per stream tick), and the rates now (shown with `showRates`;
// else only to screen readers, when the header shows the rates itself). A button: it opens the
// statistics.
import { useStore } from '../hooks.js';
import { openDialog } from '../ui.js';
import { formatRate } from '../format.js';
import { SpeedChart } from '../speed_chart.jsx';

export function SessionGraph({ showRates = false }) {
  const store = useStore();
  const last = store.history[store.history.length - 1];
  const down = store.stats.downloadSpeed ?? last?.down ?? 0;
  const up = store.stats.uploadSpeed ?? last?.up ?? 0;
  return (
    <button type="button" class="session-graph" data-session-graph title="Statistics"
      onClick={() => openDialog('stats')}>
      <span class="visually-hidden">Statistics. Session speed: </span>
      <span class={showRates ? 'session-rates' : 'visually-hidden'}>
        <span class="sg-rate sc-down" data-rate="down">
          <span class="sg-arrow" aria-hidden="true">↓</span>
          <span class="visually-hidden">down</span> {formatRate(down)}
        </span>
        <span class="sg-rate sc-up" data-rate="up">
          <span class="sg-arrow" aria-hidden="true">↑</span>
          <span class="visually-hidden">, up</span> {formatRate(up)}
        </span>
      </span>
      <span class="session-spark" aria-hidden="true">
        <SpeedChart points={store.history} compact label="Session speed" />
      </span>
    </button>
  );
}
