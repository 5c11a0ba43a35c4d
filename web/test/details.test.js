// Unit tests of the details panel's pure parts: `cd web && node --test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, buildTree, filteredRows, initialExpanded, parentPath, visibleRows } from '../src/details/file_tree.js';
import { countHave, decodePieces, gridLayout, MAX_GRID_HEIGHT } from '../src/details/pieces_map.js';
import { formatRelative } from '../src/details/when.js';

const FILES = [
  { name: 'Top/b.bin', length: 10 },
  { name: 'Top/sub/c.bin', length: 20 },
  { name: 'Top/a.bin', length: 30 },
  { name: 'Top/sub/deeper/d.bin', length: 40 },
  { name: 'Top/file10.txt', length: 1 },
  { name: 'Top/file9.txt', length: 1 },
];

test('the tree has folders first, then files by natural name order, with sizes and file lists', () => {
  const root = buildTree(FILES);
  assert.equal(root.children.length, 1);
  const top = root.children[0];
  assert.equal(top.path, 'Top');
  assert.equal(top.size, 102);
  assert.deepEqual(top.children.map((c) => c.name), ['sub', 'a.bin', 'b.bin', 'file9.txt', 'file10.txt']);
  const sub = top.children[0];
  assert.equal(sub.path, 'Top/sub');
  assert.deepEqual([...sub.files].sort(), [1, 3]);
  assert.equal(sub.size, 60);
  assert.equal(sub.children[0].path, 'Top/sub/deeper');
  assert.equal(parentPath(sub.children[0]), 'Top/sub');
  assert.equal(parentPath(top), null);
});

test('a single-file torrent is one file row at the top', () => {
  const root = buildTree([{ name: 'one.iso', length: 5 }]);
  assert.deepEqual(visibleRows(root, new Set()).map((n) => [n.folder, n.index]), [[false, 0]]);
});

test('folders open level by level while the rows stay under the budget', () => {
  const root = buildTree(FILES);
  assert.deepEqual([...initialExpanded(root)].sort(), ['Top', 'Top/sub', 'Top/sub/deeper']);
  const many = buildTree(Array.from({ length: 10000 }, (_, i) => ({ name: `Big/d${i % 10}/f${i}.bin`, length: 1 })));
  const open = initialExpanded(many, 400);
  assert.ok(open.has('Big'));
  assert.ok(!open.has('Big/d0'), 'a folder of 1,000 files starts closed');
  assert.equal(visibleRows(many, open).length, 11);
});

test('visible rows follow the open folders', () => {
  const root = buildTree(FILES);
  assert.deepEqual(visibleRows(root, new Set(['Top'])).map((n) => n.name), ['Top', 'sub', 'a.bin', 'b.bin', 'file9.txt', 'file10.txt']);
  assert.equal(visibleRows(root, new Set(['Top', 'Top/sub'])).length, 8); // deeper stays closed
});

test('a filter shows the matching files and the folders that hold them', () => {
  const root = buildTree(FILES);
  assert.equal(filteredRows(root, '  '), null);
  assert.deepEqual(filteredRows(root, 'D.BIN').map((n) => n.path), ['Top', 'Top/sub', 'Top/sub/deeper', 'Top/sub/deeper/d.bin']);
  assert.deepEqual(filteredRows(root, 'sub c').map((n) => n.path), ['Top', 'Top/sub', 'Top/sub/c.bin']);
  assert.deepEqual(filteredRows(root, 'nothing'), []);
});

test('folder figures: done bytes, wanted count and a priority or null when mixed', () => {
  const root = buildTree(FILES);
  const state = (i) => ({ done: i === 3 ? 40 : 0, wanted: i !== 0, priority: i === 1 ? 1 : 0 });
  const agg = aggregate(root, FILES, state);
  assert.deepEqual(agg.get('Top/sub/deeper'), { done: 40, wanted: 1, count: 1, priority: 0 });
  assert.deepEqual(agg.get('Top/sub'), { done: 40, wanted: 2, count: 2, priority: null });
  assert.equal(agg.get('Top').wanted, 5);
  assert.equal(agg.get('Top').count, 6);
  assert.equal(agg.get('').done, 40);
});

test('the pieces bitfield: piece 0 is the high bit of the first byte', () => {
  const bits = decodePieces(Buffer.from([0b10100000, 0b00000001]).toString('base64'));
  assert.equal(countHave(bits, 16), 3);
  assert.equal(countHave(bits, 9), 2);
  assert.equal(decodePieces(''), null);
});

test('the grid shrinks its cells, then gives way to the bar', () => {
  const small = gridLayout(100, 400);
  assert.equal(small.cell, 14);
  assert.ok(small.cols * small.rows >= 100);
  const mid = gridLayout(3000, 400);
  assert.ok(mid.cell < 14 && mid.height <= MAX_GRID_HEIGHT);
  assert.equal(gridLayout(100000, 400), null);
});

test('relative times', () => {
  const now = 1_000_000_000_000;
  assert.equal(formatRelative(0, now), '');
  assert.equal(formatRelative(now / 1000 + 2, now), 'now');
  assert.equal(formatRelative(now / 1000 + 90, now), 'in 1 min 30 s');
  assert.equal(formatRelative(now / 1000 - 7200, now), '2 h 0 min ago');
  assert.equal(formatRelative(now / 1000 + 3 * 86400, now), 'in 3 d');
});
