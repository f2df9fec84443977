/**
 * `--bitrate` text to bit/s, SI prefixes (k = 10^3, M = 10^6, G = 10^9, T = 10^12): `150Mbit/s`,
 * `1.5 Gbit/s`, `800kbit/s`, `20000bit/s`, iperf3's short forms `100M`, `1.5G`, `500k` (iperf3's
 * `-b` is also decimal for rates), and a bare number of bit/s. Bytes (`MB/s`) are refused rather
 * than guessed.
 */
import { UsageError } from '../errors.js';

const PREFIX: Readonly<Record<string, number>> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Examples the usage message gives. */
const EXAMPLES = '150Mbit/s, 1.5Gbit/s, 800kbit/s or iperf3-style 100M';

/**
 * Parses a bit rate.
 * @param flag the flag named in messages (`--bitrate`)
 * @returns bit/s, a positive integer (rounded)
 * @throws UsageError naming the flag and the value: not a rate, a byte unit, zero
 */
export function parseBitrate(text: unknown, flag = '--bitrate'): number {
  const raw = String(text ?? '').trim();
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([kKMGT]?)(bit\/s|bps|b\/s)?$/.exec(raw);
  if (m === null) {
    if (/B\/s$|Bps$|bytes/.test(raw)) throw new UsageError(`${flag} is in bits per second (${EXAMPLES}), not bytes: got ${JSON.stringify(raw)}`);
    throw new UsageError(`${flag} needs a bit rate such as ${EXAMPLES} (SI: k = 10^3, M = 10^6), got ${JSON.stringify(raw)}`);
  }
  const value = Math.round(Number(m[1]) * PREFIX[m[2]!]!);
  if (!(value >= 1)) throw new UsageError(`${flag} must be at least 1 bit/s, got ${JSON.stringify(raw)}`);
  if (value > Number.MAX_SAFE_INTEGER) throw new UsageError(`${flag} is too large, got ${JSON.stringify(raw)}`);
  return value;
}
