/** Durations as flags write them: `10s`, `500ms`, `2m`, `1h`, `1.5s`, or a bare number of seconds. */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const SCALE_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Reads a duration (a number is seconds).
 * @returns milliseconds rounded to an integer, or undefined when `text` is not a duration
 */
export function parseDuration(text: unknown): number | undefined {
  const s = typeof text === 'number' ? String(text) : typeof text === 'string' ? text.trim() : '';
  const m = DURATION.exec(s);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SCALE_MS[m[2] ?? 's']!);
}

/** Writes ms back as the shortest duration text: `10000` → `10s`, `120000` → `2m`, `1500` → `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
