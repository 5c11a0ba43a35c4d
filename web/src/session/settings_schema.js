// The settings dialog's form (no DOM): which session-get keys it shows, grouped, of what kind, with
// their bounds; and the check of a typed value.

const PORT = { min: 1, max: 65535 };
const COUNT = { min: 1, max: 65535 };
const RATE = { min: 0, max: 10_000_000, unit: 'kB/s' };

/**
 * The form: sections of rows; a row is one setting or an `enable` checkbox with its value.
 * kind: 'bool' | 'int' | 'real' | 'path'; `note` says something the user should know.
 */
export const SECTIONS = [
  {
    title: 'Downloading',
    rows: [
      { key: 'download-dir', kind: 'path', label: 'Save new torrents in' },
      { key: 'start-added-torrents', kind: 'bool', label: 'Start torrents when they are added' },
      { enable: 'incomplete-dir-enabled', key: 'incomplete-dir', kind: 'path', label: 'Keep incomplete torrents in',
        note: 'Saved, but tessera does not use it yet.' },
    ],
  },
  {
    title: 'Speed limits',
    rows: [
      { enable: 'speed-limit-down-enabled', key: 'speed-limit-down', kind: 'int', ...RATE, label: 'Limit download speed' },
      { enable: 'speed-limit-up-enabled', key: 'speed-limit-up', kind: 'int', ...RATE, label: 'Limit upload speed' },
      { key: 'alt-speed-enabled', kind: 'bool', label: 'Use the alternative speed limits' },
      { key: 'alt-speed-down', kind: 'int', ...RATE, label: 'Alternative download limit' },
      { key: 'alt-speed-up', kind: 'int', ...RATE, label: 'Alternative upload limit' },
    ],
  },
  {
    title: 'Network',
    rows: [
      { key: 'peer-port', kind: 'int', ...PORT, label: 'Peer listening port' },
      { key: 'dht-enabled', kind: 'bool', label: 'Find peers through the DHT' },
      { key: 'pex-enabled', kind: 'bool', label: 'Exchange peers with peers (PEX)' },
      { key: 'lpd-enabled', kind: 'bool', label: 'Find peers on the local network (LSD)' },
      { key: 'peer-limit-global', kind: 'int', ...COUNT, label: 'Peers at most, in all' },
      { key: 'peer-limit-per-torrent', kind: 'int', ...COUNT, label: 'Peers at most, per torrent' },
    ],
  },
  {
    title: 'Queue',
    rows: [
      { enable: 'download-queue-enabled', key: 'download-queue-size', kind: 'int', min: 0, max: 100000, label: 'Download at most', unit: 'torrents at once' },
      { enable: 'seed-queue-enabled', key: 'seed-queue-size', kind: 'int', min: 0, max: 100000, label: 'Seed at most', unit: 'torrents at once' },
      { enable: 'queue-stalled-enabled', key: 'queue-stalled-minutes', kind: 'int', min: 1, max: 100000, label: 'A torrent idle this long is stalled', unit: 'minutes' },
    ],
  },
  {
    title: 'Seeding',
    rows: [
      { enable: 'seedRatioLimited', key: 'seedRatioLimit', kind: 'real', min: 0, max: 100000, label: 'Stop seeding at ratio' },
      { enable: 'idle-seeding-limit-enabled', key: 'idle-seeding-limit', kind: 'int', min: 1, max: 100000, label: 'Stop seeding when idle for', unit: 'minutes' },
    ],
  },
];

/** Keys the daemon reports but does not act on (docs/rpc.md "Read-only truths"): said, not edited. */
export const NOT_SUPPORTED = [
  ['utp-enabled', 'µTP'],
  ['port-forwarding-enabled', 'port forwarding (UPnP, NAT-PMP)'],
  ['blocklist-enabled', 'a blocklist'],
];

export function toText(v) {
  return v === undefined || v === null ? '' : String(v);
}

/** The problem with `text` as the value of `row`, or ''. */
export function validate(row, text) {
  const t = text.trim();
  if (row.kind === 'path') {
    if (!t) return 'A folder is needed.';
    if (!t.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(t)) return 'The folder must be an absolute path (from /).';
    return '';
  }
  if (row.kind === 'int' || row.kind === 'real') {
    if (t === '') return 'A number is needed.';
    const n = Number(t);
    if (!Number.isFinite(n)) return 'This is not a number.';
    if (row.kind === 'int' && !Number.isInteger(n)) return 'A whole number is needed.';
    if (row.min !== undefined && n < row.min) return `At least ${row.min}.`;
    if (row.max !== undefined && n > row.max) return `At most ${row.max.toLocaleString()}.`;
  }
  return '';
}

export function parse(row, text) {
  if (row.kind === 'int') return Number(text.trim());
  if (row.kind === 'real') return Number(text.trim());
  return text.trim();
}
