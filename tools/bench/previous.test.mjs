// Part of npm test (vitest, tools project): the previous run's rows matched to this run's.
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { attachPrevious, parsePrevious, previousCell } from './previous.mjs';

const row = (step, measure, reference, sockbench, ratio) => ({ step, measure, reference, sockbench, referenceFigure: 'ref', ratio, met: null });

test('a row takes the previous run row of the same step, measure and reference; a new row gets none', () => {
  const prev = { rows: [row('1', 'a', 'x', '10 µs', '1.10×'), row('1', 'a', 'y', '12 µs', '1.20×'), row('2', 'b', 'z', '5 req/s', '—')] };
  const rows = attachPrevious([row('1', 'a', 'y', '11 µs', '1.00×'), row('1', 'a', 'x', '9 µs', '0.90×'), row('3', 'new', 'w', '1', '1.00×')], prev);
  assert.deepEqual(rows.map(previousCell), ['12 µs (1.20×)', '10 µs (1.10×)', '—']);
});

test('a renamed reference still matches when step and measure name one previous row; two such rows match none', () => {
  const prev = { rows: [row('2', 'b', 'old ref', '5 req/s', '0.50×'), row('4', 'c', 'r1', '1', '1×'), row('4', 'c', 'r2', '2', '2×')] };
  const rows = attachPrevious([row('2', 'b', 'new ref', '6 req/s', '0.60×'), row('4', 'c', 'r3', '3', '3×')], prev);
  assert.deepEqual(rows.map(previousCell), ['5 req/s (0.50×)', '—']);
});

test('a previous figure without a ratio shows alone; no previous run leaves every row new', () => {
  const rows = attachPrevious([row('2', 'b', 'z', '6', '—')], { rows: [row('2', 'b', 'z', 'failed: x', '—')] });
  assert.equal(previousCell(rows[0]), 'failed: x');
  assert.equal(previousCell(attachPrevious([row('2', 'b', 'z', '6', '—')], null)[0]), '—');
});

test('parsePrevious reads a results document and refuses anything else', () => {
  const doc = { schema: 'sockbench.bench.results', version: 1, date: '2026-11-22T06:58:52.584Z', commit: 'a5a925954c64', quick: false, rows: [row('1', 'a', 'x', '1', '1×')] };
  assert.deepEqual(parsePrevious(JSON.stringify(doc)), { date: doc.date, commit: doc.commit, quick: false, rows: doc.rows });
  assert.equal(parsePrevious('{"schema":"other","rows":[]}'), null);
  assert.equal(parsePrevious('not json'), null);
});
