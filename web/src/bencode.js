// A small bencode decoder (BEP 3) for reading .torrent files in the page, and the file list of a
// v1 torrent's info dictionary. Bounded: input over MAX_BYTES and nesting deeper than MAX_DEPTH
// are refused; every error is a thrown BencodeError with the byte offset.

export const MAX_BYTES = 10 << 20;
export const MAX_DEPTH = 64;

export class BencodeError extends Error {}

const D = 0x64; // d
const L = 0x6c; // l
const I = 0x69; // i
const E = 0x65; // e
const COLON = 0x3a;

/**
 * Decodes `bytes` (Uint8Array). Integers come back as numbers (refused beyond 2^53), byte strings
 * as Uint8Array, lists as arrays, dictionaries as Map from key (a latin1 string of the key's
 * bytes, so that any key decodes) to value. Trailing bytes after the value are an error.
 */
export function decode(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new BencodeError('not bytes');
  if (bytes.length > MAX_BYTES) throw new BencodeError(`larger than ${MAX_BYTES >> 20} MiB`);
  let pos = 0;

  const fail = (what) => {
    throw new BencodeError(`${what} at byte ${pos}`);
  };

  function readInt(end) {
    const start = pos;
    let neg = false;
    if (bytes[pos] === 0x2d) {
      neg = true;
      pos++;
    }
    const digits = pos;
    let v = 0;
    while (pos < bytes.length && bytes[pos] >= 0x30 && bytes[pos] <= 0x39) {
      v = v * 10 + (bytes[pos] - 0x30);
      pos++;
    }
    if (pos === digits) fail('expected digits');
    if (bytes[digits] === 0x30 && pos - digits > 1) fail('leading zero');
    if (neg && v === 0) fail('negative zero');
    if (!Number.isSafeInteger(v)) fail('integer too large');
    if (bytes[pos] !== end) fail('unterminated number');
    pos++;
    if (pos - start > 20) fail('number too long');
    return neg ? -v : v;
  }

  function value(depth) {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    if (pos >= bytes.length) fail('unexpected end');
    const c = bytes[pos];
    if (c === I) {
      pos++;
      return readInt(E);
    }
    if (c >= 0x30 && c <= 0x39) {
      if (c === 0x30 && bytes[pos + 1] !== COLON) fail('leading zero in length');
      const len = readInt(COLON);
      if (len > bytes.length - pos) fail('string longer than the input');
      const s = bytes.subarray(pos, pos + len);
      pos += len;
      return s;
    }
    if (c === L) {
      pos++;
      const out = [];
      while (bytes[pos] !== E) {
        if (pos >= bytes.length) fail('unterminated list');
        out.push(value(depth + 1));
      }
      pos++;
      return out;
    }
    if (c === D) {
      pos++;
      const out = new Map();
      while (bytes[pos] !== E) {
        if (pos >= bytes.length) fail('unterminated dictionary');
        const k = value(depth + 1);
        if (!(k instanceof Uint8Array)) fail('dictionary key is not a string');
        const key = latin1(k);
        if (out.has(key)) fail('duplicate key');
        out.set(key, value(depth + 1));
      }
      pos++;
      return out;
    }
    return fail('unexpected byte');
  }

  const v = value(1);
  if (pos !== bytes.length) fail('trailing data');
  return v;
}

function latin1(b) {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
export const text = (b) => (b instanceof Uint8Array ? utf8.decode(b) : '');

/**
 * The name and files of a .torrent (v1 or hybrid: the `info` dictionary's `name`, `length` or
 * `files`): { name, totalSize, files: [{ index, path, length }] }. BEP 47 padding files are
 * skipped and do not take an index, as the daemon counts files (docs/rpc.md). Throws
 * BencodeError when the file is not a torrent the daemon could take.
 */
export function torrentFiles(bytes) {
  const root = decode(bytes);
  if (!(root instanceof Map)) throw new BencodeError('not a dictionary');
  const info = root.get('info');
  if (!(info instanceof Map)) throw new BencodeError('no info dictionary');
  const nameBytes = info.get('name.utf-8') || info.get('name');
  const name = text(nameBytes);
  if (!name) throw new BencodeError('no name');
  const files = [];
  const list = info.get('files');
  if (Array.isArray(list)) {
    for (const f of list) {
      if (!(f instanceof Map)) throw new BencodeError('a file entry is not a dictionary');
      const length = f.get('length');
      const path = f.get('path.utf-8') || f.get('path');
      if (typeof length !== 'number' || length < 0 || !Array.isArray(path) || !path.length) {
        throw new BencodeError('a file entry has no length or path');
      }
      const attr = text(f.get('attr'));
      const parts = path.map(text);
      if (attr.includes('p') || /^\.pad$/.test(parts[0]) || parts[0] === '.____padding_file') continue;
      files.push({ index: files.length, path: [name, ...parts].join('/'), length });
    }
  } else if (typeof info.get('length') === 'number') {
    files.push({ index: 0, path: name, length: info.get('length') });
  } else if (info.get('file tree') instanceof Map) {
    throw new BencodeError('a v2-only torrent: its files are listed once added');
  } else {
    throw new BencodeError('no files');
  }
  return { name, totalSize: files.reduce((a, f) => a + f.length, 0), files };
}
