// Unit tests of the session views' pure parts: `cd web && node --test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { niceScale, rateUnit } from '../src/graph.js';
import { SECTIONS, validate } from '../src/session/settings_schema.js';

const row = (key) => SECTIONS.flatMap((s) => s.rows).find((r) => r.key === key);

test('rate axes end on a round number in a unit that fits', () => {
  assert.deepEqual(niceScale(0), { top: 4000, step: 1000 });
  assert.deepEqual(niceScale(33_000), { top: 40_000, step: 10_000 });
  assert.deepEqual(niceScale(1_234_567), { top: 1_500_000, step: 500_000 });
  assert.deepEqual(niceScale(900_000), { top: 1_000_000, step: 250_000 });
  assert.equal(rateUnit(500)[1], 'kB/s');
  assert.equal(rateUnit(2_500_000)[1], 'MB/s');
  assert.equal(rateUnit(3e9)[1], 'GB/s');
});

test('settings: numbers, bounds and absolute folders are checked', () => {
  assert.equal(validate(row('peer-port'), '51413'), '');
  assert.match(validate(row('peer-port'), '0'), /At least 1/);
  assert.match(validate(row('peer-port'), '70000'), /At most/);
  assert.match(validate(row('peer-limit-global'), '1.5'), /whole number/);
  assert.match(validate(row('peer-limit-global'), 'abc'), /not a number/);
  assert.match(validate(row('peer-limit-global'), ' '), /number is needed/);
  assert.equal(validate(row('seedRatioLimit'), '1.5'), '');
  assert.equal(validate(row('download-dir'), '/srv/torrents'), '');
  assert.match(validate(row('download-dir'), 'torrents'), /absolute/);
});

test('every setting of the form is a session-get key of docs/rpc.md with a kind', () => {
  for (const r of SECTIONS.flatMap((s) => s.rows)) {
    assert.ok(['bool', 'int', 'real', 'path'].includes(r.kind), r.key);
    assert.ok(r.label, r.key);
  }
});
