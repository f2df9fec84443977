// The previous run beside this one: results.md shows, per row, what the committed bench/results.json
// (the last run committed) had for the same row, so a change reads as before → after.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The previous run: bench/results.json as committed at HEAD (so a local run that overwrote the file
 * still compares against the committed one), else the file on disk; null when neither reads as
 * results. Returns { date, commit, quick, rows }.
 */
export function readPrevious(root) {
  const git = spawnSync('git', ['show', 'HEAD:bench/results.json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let text = git.status === 0 ? git.stdout : null;
  if (text === null) {
    try {
      text = readFileSync(join(root, 'bench', 'results.json'), 'utf8');
    } catch {
      return null;
    }
  }
  return parsePrevious(text);
}

/** results.json text → { date, commit, quick, rows }, or null when it is not a results document. */
export function parsePrevious(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (doc?.schema !== 'sockbench.bench.results' || !Array.isArray(doc.rows)) return null;
  return { date: doc.date ?? null, commit: doc.commit ?? null, quick: doc.quick === true, rows: doc.rows };
}

const key = (r) => `${r.step}\u0000${r.measure}\u0000${r.reference}`;
const stepMeasure = (r) => `${r.step}\u0000${r.measure}`;

/**
 * Sets `previous` on every row: { sockbench, referenceFigure, ratio, met } of the previous run's
 * row with the same step, measure and reference; failing that, the one row of the same step and
 * measure (a reference renamed); else null (a new row). Returns `rows`.
 */
export function attachPrevious(rows, previous) {
  const exact = new Map();
  const byMeasure = new Map();
  for (const r of previous?.rows ?? []) {
    exact.set(key(r), r);
    const k = stepMeasure(r);
    byMeasure.set(k, byMeasure.has(k) ? null : r); // null: not unique
  }
  for (const row of rows) {
    const p = exact.get(key(row)) ?? byMeasure.get(stepMeasure(row)) ?? null;
    row.previous = p === null ? null : { sockbench: p.sockbench, referenceFigure: p.referenceFigure, ratio: p.ratio, met: p.met ?? null };
  }
  return rows;
}

/** The previous figure as results.md shows it: "figure (ratio)", or "—" for a row it did not have. */
export function previousCell(row) {
  const p = row.previous;
  if (!p) return '—';
  return p.ratio && p.ratio !== '—' ? `${p.sockbench} (${p.ratio})` : p.sockbench;
}
