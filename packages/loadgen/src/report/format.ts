/** Number formatting shared by the text table, the live line and the HTML report. */

/** A latency in µs with a unit that keeps 3 significant digits: `87 µs`, `1.23 ms`, `2.50 s`. */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return '-';
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 10_000 ? 2 : us < 100_000 ? 1 : 0)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}

/**
 * A bit rate with an SI prefix and 3 significant digits (10^3 steps, Mbit/s = 10^6 bit/s):
 * `820 bit/s`, `51.2 kbit/s`, `1.23 Gbit/s`.
 */
export function formatBitRate(bitsPerSec: number): string {
  if (!Number.isFinite(bitsPerSec)) return '-';
  const prefixes = ['', 'k', 'M', 'G', 'T'];
  let v = bitsPerSec;
  let i = 0;
  while (Math.abs(v) >= 999.5 && i < prefixes.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 ? 0 : Math.abs(v) >= 99.95 ? 0 : Math.abs(v) >= 9.995 ? 1 : 2;
  return `${v.toFixed(digits)} ${prefixes[i]}bit/s`;
}

/** An integer with thousands separators: `12,345`. */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A rate or size with 3 significant digits at most two decimals: `0.79`, `12.3`, `12,345`. */
export function formatNum(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 1000) return formatInt(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/**
 * Counts by name as `NAME 1,234, NAME 5`: the names of `order` first, then the rest by name (so the
 * line reads the same whichever thread saw a code first).
 */
export function formatCounts(counts: Record<string, number>, order: readonly string[] = []): string {
  const keys = [...order.filter((k) => k in counts), ...Object.keys(counts).filter((k) => !order.includes(k)).sort()];
  return keys.map((k) => `${k} ${formatInt(counts[k]!)}`).join(', ');
}

/** A percentage with two decimals: `0.00%`. */
export function formatPercent(p: number): string {
  return `${p.toFixed(2)}%`;
}

/** Pads cells into aligned columns: first column left-aligned, the others right-aligned. */
export function alignTable(rows: readonly (readonly string[])[], gap = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(gap).trimEnd())
    .join('\n');
}
