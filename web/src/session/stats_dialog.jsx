// The statistics dialog: session-stats of this run of the daemon and of all its runs
// (uploaded, downloaded, ratio, files added, starts, time active), and the session's speed over
// the last 10 minutes, large.
import { useEffect, useState } from 'preact/hooks';
import { rpc } from '../rpc.js';
import { store, changed } from '../store.js';
import { useStore } from '../hooks.js';
import { closeDialog } from '../ui.js';
import { formatBytes, formatDuration, formatRatio } from '../format.js';
import { SpeedChart } from '../speed_chart.jsx';
import { Dialog } from '../components/dialog.jsx';

const REFRESH_MS = 5000;

function ratio(s) {
  if (!s) return undefined;
  if (!s.downloadedBytes) return s.uploadedBytes ? -2 : -1;
  return s.uploadedBytes / s.downloadedBytes;
}

function Column({ title, s, field }) {
  const r = ratio(s);
  return (
    <section class="stats-col" aria-labelledby={`stats-${field}`} data-stats={field}>
      <h3 id={`stats-${field}`}>{title}</h3>
      <dl>
        <div><dt>Uploaded</dt><dd data-field="uploadedBytes">{formatBytes(s?.uploadedBytes ?? 0)}</dd></div>
        <div><dt>Downloaded</dt><dd data-field="downloadedBytes">{formatBytes(s?.downloadedBytes ?? 0)}</dd></div>
        <div><dt>Ratio</dt><dd data-field="ratio">{r === -2 ? '∞' : formatRatio(r)}</dd></div>
        <div><dt>Files added</dt><dd data-field="filesAdded">{(s?.filesAdded ?? 0).toLocaleString()}</dd></div>
        {field === 'cumulative-stats' && (
          <div><dt>Daemon starts</dt><dd data-field="sessionCount">{(s?.sessionCount ?? 0).toLocaleString()}</dd></div>
        )}
        <div><dt>Time active</dt><dd data-field="secondsActive">{formatDuration(s?.secondsActive ?? 0)}</dd></div>
      </dl>
    </section>
  );
}

export function StatsDialog({ onClose = closeDialog }) {
  useStore();
  const [problem, setProblem] = useState('');
  useEffect(() => {
    let gone = false;
    const load = () =>
      rpc('session-stats').then(
        (s) => {
          if (gone) return;
          store.stats = s;
          setProblem('');
          changed();
        },
        (e) => !gone && setProblem(e.message),
      );
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      gone = true;
      clearInterval(timer);
    };
  }, []);
  const s = store.stats || {};
  const footer = (
    <>
      <p class="form-error" role="alert">{problem}</p>
      <button type="button" class="button primary" data-action="cancel" data-autofocus onClick={onClose}>Close</button>
    </>
  );
  return (
    <Dialog kind="stats" title="Statistics" onClose={onClose} footer={footer} wide>
      <p class="stats-now">
        {(s.torrentCount ?? store.torrents.size).toLocaleString()} torrents, {(s.activeTorrentCount ?? 0).toLocaleString()} active,{' '}
        {(s.pausedTorrentCount ?? 0).toLocaleString()} paused
      </p>
      <SpeedChart points={store.history} label="Speed of the session" class="stats-chart" />
      <div class="stats-cols">
        <Column title="This session" s={s['current-stats']} field="current-stats" />
        <Column title="All sessions" s={s['cumulative-stats']} field="cumulative-stats" />
      </div>
    </Dialog>
  );
}
