// The results table: one row per sockbench figure, with the reference tool's figure, the ratio
// (sockbench ÷ reference) and, where the issue sets one, the target and whether it is met.

/** µs as text: "14.2 µs", "812 µs", "2.35 ms". */
export function fmtUs(us) {
  if (us === null || us === undefined || !Number.isFinite(us)) return '—';
  if (us < 100) return `${us.toFixed(1)} µs`;
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 10_000) return `${(us / 1000).toFixed(2)} ms`;
  if (us < 100_000) return `${(us / 1000).toFixed(1)} ms`;
  return `${Math.round(us / 1000)} ms`;
}

/** An integer with thousands separators. */
export function fmtInt(v) {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : Math.round(v).toLocaleString('en-US');
}

/** A ratio as "1.23×". */
export function fmtRatio(r) {
  if (r === null || r === undefined || !Number.isFinite(r)) return '—';
  return r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null);
const bad = (m) => !m || m.error;
const why = (m, skipped) => (skipped ? `skipped: ${skipped}` : m?.error ? `failed: ${m.error.split('\n')[0]}` : 'not measured');

/**
 * A row whose figures are latencies (p50 / p99 / p99.9). `target.check(sb, ref)` decides met/missing.
 * With `noP999` only p50 and p99 are compared (the reference prints no p99.9).
 */
export function latencyRow(step, measure, sb, refLabel, ref, { target, skipped, noP999 } = {}) {
  const keys = noP999 ? ['p50', 'p99'] : ['p50', 'p99', 'p999'];
  const row = { step, measure, reference: refLabel, kind: 'latency', lowerIsBetter: true };
  row.referenceFigure = bad(ref) ? why(ref) : keys.map((k) => fmtUs(ref[k])).join(' / ');
  if (bad(sb) || bad(ref)) {
    row.sockbench = bad(sb) ? why(sb, skipped) : keys.map((k) => fmtUs(sb[k])).join(' / ');
    row.ratio = '—';
    row.values = null;
  } else {
    row.sockbench = keys.map((k) => fmtUs(sb[k])).join(' / ');
    const rs = keys.map((k) => ratio(sb[k], ref[k]));
    row.ratio = rs.map(fmtRatio).join(' / ');
    row.values = Object.fromEntries(keys.map((k, i) => [k, { sockbench: sb[k], reference: ref[k], ratio: rs[i] }]));
  }
  addTarget(row, target, sb, ref);
  return row;
}

/**
 * A row of one number each side. `fmt` formats a value (default: integer with `unit`); `note(m)`
 * adds a parenthesis after a figure (e.g. its loss); `lowerIsBetter` only documents the direction.
 */
export function valueRow(step, measure, sb, refLabel, ref, { unit = '', fmt, target, skipped, lowerIsBetter = false, sbKey = 'value', refKey = 'value', note } = {}) {
  const f = fmt ?? ((v) => `${fmtInt(v)}${unit ? ` ${unit}` : ''}`);
  const withNote = (m, text) => (note && note(m) ? `${text} (${note(m)})` : text);
  const row = { step, measure, reference: refLabel, kind: 'value', lowerIsBetter };
  row.referenceFigure = bad(ref) ? why(ref) : withNote(ref, f(ref[refKey]));
  row.sockbench = bad(sb) ? why(sb, skipped) : withNote(sb, f(sb[sbKey]));
  const r = bad(sb) || bad(ref) ? null : ratio(sb[sbKey], ref[refKey]);
  row.ratio = fmtRatio(r);
  row.values = r === null ? null : { sockbench: sb[sbKey], reference: ref[refKey], ratio: r, unit };
  addTarget(row, target, sb, ref);
  return row;
}

function addTarget(row, target, sb, ref) {
  if (!target) {
    row.target = '';
    row.met = null;
    return;
  }
  const ok = !bad(sb) && (target.needsReference === false || !bad(ref)) ? target.check(sb, ref) : null;
  row.met = ok;
  row.target = `${target.what}: ${ok === null ? 'not measured' : ok ? 'met' : 'missing'}`;
}
