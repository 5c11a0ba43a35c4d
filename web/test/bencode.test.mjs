// The .torrent reader of the add dialog (src/bencode.js): `node --test test/` (npm test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, torrentFiles, BencodeError, MAX_DEPTH } from '../src/bencode.js';

const enc = (s) => new TextEncoder().encode(s);
const str = (s) => `${enc(s).length}:${s}`;

test('decodes integers, strings, lists and dictionaries', () => {
  assert.equal(decode(enc('i42e')), 42);
  assert.equal(decode(enc('i-7e')), -7);
  assert.equal(decode(enc('i0e')), 0);
  assert.deepEqual([...decode(enc('3:abc'))], [97, 98, 99]);
  assert.deepEqual(decode(enc('li1ei2ee')), [1, 2]);
  const d = decode(enc('d1:ai1e1:bli2eee'));
  assert.equal(d.get('a'), 1);
  assert.deepEqual(d.get('b'), [2]);
});

test('refuses malformed input with its offset', () => {
  for (const bad of ['', 'i01e', 'i-0e', 'ie', 'i1', '5:ab', '01:a', 'l', 'd', 'd1:ai1e1:ai2ee', 'di1ei2ee', 'i1ei2e', 'x', 'i9007199254740993e']) {
    assert.throws(() => decode(enc(bad)), BencodeError, JSON.stringify(bad));
  }
});

test('bounds nesting and size', () => {
  assert.doesNotThrow(() => decode(enc('l'.repeat(MAX_DEPTH) + 'e'.repeat(MAX_DEPTH))));
  assert.throws(() => decode(enc('l'.repeat(MAX_DEPTH + 1) + 'e'.repeat(MAX_DEPTH + 1))), /nested too deeply/);
  assert.throws(() => decode(new Uint8Array((10 << 20) + 1)), /larger than/);
});

test('lists a single-file torrent', () => {
  const t = torrentFiles(enc(`d4:infod6:lengthi1000e4:name${str('a.iso')}12:piece lengthi16384e6:pieces0:ee`));
  assert.deepEqual(t, { name: 'a.iso', totalSize: 1000, files: [{ index: 0, path: 'a.iso', length: 1000 }] });
});

test('lists a multi-file torrent, skipping BEP 47 padding files without an index', () => {
  const files =
    `ld6:lengthi10e4:pathl${str('sub')}${str('x.txt')}eed4:attr1:p6:lengthi6e4:pathl${str('.pad')}${str('6')}ee` +
    `d6:lengthi20e4:pathl${str('y é.bin')}eee`;
  const t = torrentFiles(enc(`d4:infod5:files${files}4:name${str('Top')}ee`));
  assert.equal(t.name, 'Top');
  assert.equal(t.totalSize, 30);
  assert.deepEqual(t.files, [
    { index: 0, path: 'Top/sub/x.txt', length: 10 },
    { index: 1, path: 'Top/y é.bin', length: 20 },
  ]);
});

test('prefers name.utf-8 and path.utf-8', () => {
  const t = torrentFiles(
    enc(`d4:infod5:filesld6:lengthi1e4:pathl${str('a')}e10:path.utf-8l${str('ä')}eee4:name${str('n')}10:name.utf-8${str('ñ')}ee`),
  );
  assert.equal(t.files[0].path, 'ñ/ä');
});

test('refuses what is not a v1 torrent', () => {
  assert.throws(() => torrentFiles(enc('le')), /not a dictionary/);
  assert.throws(() => torrentFiles(enc('de')), /no info/);
  assert.throws(() => torrentFiles(enc(`d4:infod4:name${str('x')}ee`)), /no files/);
  assert.throws(() => torrentFiles(enc(`d4:infod9:file treede4:name${str('x')}ee`)), /v2-only/);
  assert.throws(() => torrentFiles(enc(`d4:infod5:filesld6:lengthi-1e4:pathl1:aeee4:name1:xee`)), /no length or path/);
});

test('mutated torrents either parse or fail with a BencodeError', () => {
  const base = enc(`d4:infod5:filesld6:lengthi10e4:pathl${str('a')}eed6:lengthi5e4:pathl${str('b')}${str('c')}eee4:name${str('T')}ee`);
  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 5000; i++) {
    const b = base.slice(0, rand(base.length + 1) || base.length);
    for (let k = rand(4); k >= 0; k--) if (b.length) b[rand(b.length)] = rand(256);
    try {
      torrentFiles(b);
    } catch (e) {
      assert.ok(e instanceof BencodeError, `${e}`);
    }
  }
});
