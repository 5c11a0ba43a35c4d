// The items of the add dialog: .torrent files read and parsed in the page, and links (magnets,
// http(s) URLs) one per line. Pure helpers; add_dialog.jsx holds the state.
import { torrentFiles, MAX_BYTES } from '../bencode.js';
import { bytesToBase64 } from '../rpc.js';

let nextKey = 0;

/** Reads and parses one File: an item { key, kind: 'file', label, metainfo, parsed, wanted, error }. */
export async function fileItem(file) {
  const item = { key: ++nextKey, kind: 'file', label: file.name, metainfo: '', parsed: null, wanted: [], error: '' };
  if (file.size > MAX_BYTES) {
    item.error = `larger than ${MAX_BYTES >> 20} MiB: not a .torrent file`;
    return item;
  }
  try {
    const buf = await file.arrayBuffer();
    item.parsed = torrentFiles(new Uint8Array(buf));
    item.metainfo = bytesToBase64(buf);
    item.wanted = item.parsed.files.map(() => true);
    item.label = item.parsed.name;
  } catch (e) {
    item.error = `not a valid .torrent file (${e.message})`;
  }
  return item;
}

/** A magnet's display name (dn) or its hash; a URL as it is. */
export function linkLabel(link) {
  if (/^magnet:/i.test(link)) {
    try {
      const q = new URLSearchParams(link.slice(link.indexOf('?') + 1));
      const dn = q.get('dn');
      if (dn) return dn;
      const xt = q.getAll('xt').find((x) => /^urn:bt(ih|mh):/i.test(x));
      if (xt) return xt.replace(/^urn:bt(ih|mh):/i, '');
    } catch {
      // fall through: shown as it is
    }
  }
  return link;
}

export const isLink = (s) => /^(magnet:\?|https?:\/\/)\S+$/i.test(s.trim());

/** The non-empty lines of the links field. */
export function linkLines(text) {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** torrent-add's reply as an item result: { state: 'added'|'duplicate', id, name }. */
export function addResult(reply) {
  if (reply['torrent-duplicate']) return { state: 'duplicate', ...reply['torrent-duplicate'] };
  if (reply['torrent-added']) return { state: 'added', ...reply['torrent-added'] };
  return { state: 'added' };
}
