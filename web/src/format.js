// Display of sizes, rates, times and states. Sizes and rates in SI units (kB = 1000 B), as
// Transmission's clients show them.

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

export function formatBytes(n) {
  if (n === undefined || n === null || n < 0) return '';
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[i]}`;
}

export function formatRate(bytesPerSecond) {
  if (!bytesPerSecond) return '0 kB/s';
  return `${formatBytes(bytesPerSecond)}/s`;
}

export function formatPercent(fraction) {
  if (fraction === undefined || fraction === null) return '';
  const p = fraction * 100;
  return `${p >= 100 ? 100 : p.toFixed(p < 10 ? 2 : 1)}%`;
}

/** Transmission's eta: seconds, -1 not available, -2 unknown. */
export function formatEta(seconds) {
  if (seconds === undefined || seconds < 0) return '';
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

export function formatRatio(r) {
  if (r === undefined || r === null || r < 0) return '–';
  if (r >= 100) return r.toFixed(0);
  return r.toFixed(2);
}

/** A Unix time in seconds as a local date and time; '' for 0. */
export function formatDate(unixSeconds) {
  if (!unixSeconds) return '';
  return new Date(unixSeconds * 1000).toLocaleString();
}

export function formatDuration(seconds) {
  if (!seconds) return '0 s';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min`;
  return `${seconds} s`;
}

/** Transmission's torrent status numbers. */
export const STATUS = {
  STOPPED: 0,
  CHECK_WAIT: 1,
  CHECK: 2,
  DOWNLOAD_WAIT: 3,
  DOWNLOAD: 4,
  SEED_WAIT: 5,
  SEED: 6,
};

/** The state a person reads in the list: an error first, then the status. */
export function statusText(t) {
  if (t.error) return 'Error';
  switch (t.status) {
    case STATUS.STOPPED:
      return t.isFinished ? 'Finished' : 'Paused';
    case STATUS.CHECK_WAIT:
      return 'Queued to check';
    case STATUS.CHECK:
      return 'Checking';
    case STATUS.DOWNLOAD_WAIT:
      return 'Queued';
    case STATUS.DOWNLOAD:
      return t.metadataPercentComplete !== undefined && t.metadataPercentComplete < 1
        ? 'Fetching metadata'
        : 'Downloading';
    case STATUS.SEED_WAIT:
      return 'Queued to seed';
    case STATUS.SEED:
      return 'Seeding';
    default:
      return '';
  }
}

/** The state filters of the sidebar; `match(t)` says whether a torrent is in it. */
export const STATE_FILTERS = [
  { key: 'all', label: 'All', match: () => true },
  { key: 'downloading', label: 'Downloading', match: (t) => !t.error && (t.status === STATUS.DOWNLOAD || t.status === STATUS.DOWNLOAD_WAIT) },
  { key: 'seeding', label: 'Seeding', match: (t) => !t.error && (t.status === STATUS.SEED || t.status === STATUS.SEED_WAIT) },
  { key: 'paused', label: 'Paused', match: (t) => !t.error && t.status === STATUS.STOPPED },
  { key: 'checking', label: 'Checking', match: (t) => !t.error && (t.status === STATUS.CHECK || t.status === STATUS.CHECK_WAIT) },
  { key: 'error', label: 'Error', match: (t) => !!t.error },
];
