/**
 * The CLI's own flags, as option tables (`@sockbench/options`) beside the library's
 * `CONNECT_OPTIONS`: the `--udp` switch and the flags of `ping` and `compute`. Each table fills its
 * defaults once, validates (`--count must be an integer ≥ 0 requests, got -1`), builds the yargs
 * options of `--help` and is checked against the README's flag tables.
 */
import { OptionTable } from '@sockbench/options';

/** Default of `compute --iterations`. */
export const DEFAULT_CLI_ITERATIONS = 1000;

/** Flags of every command: `--udp` selects the transport of `connect()`. */
export const CLI_OPTIONS = new OptionTable(
  [{ key: 'udp', flag: 'udp', alias: 'u', type: 'boolean', default: false, description: 'use UDP instead of TCP (interactive, ping, echo, compute)' }],
  'flag',
);

/** Flags of `ping` (ping(8)'s `-c` and `-i`). */
export const PING_OPTIONS = new OptionTable(
  [
    { key: 'count', flag: 'count', alias: 'c', type: 'integer', unit: 'requests', default: 0, min: 0, description: 'requests to send; 0 = until Ctrl-C' },
    { key: 'intervalS', flag: 'interval', alias: 'i', type: 'number', unit: 'seconds', default: 1, min: 0, max: 3600, description: 'time between requests (fractions allowed)' },
    { key: 'json', flag: 'json', type: 'boolean', default: false, description: 'print the summary as JSON alone on stdout (lines go to stderr)' },
  ],
  'flag',
);

/** Flags of `compute`. The upper bound is the u32 `iterations` field; the server's own cap (default 100000) may be lower. */
export const COMPUTE_OPTIONS = new OptionTable(
  [
    { key: 'iterations', flag: 'iterations', alias: 'n', type: 'integer', unit: 'SHA-256 rounds', default: DEFAULT_CLI_ITERATIONS, min: 1, max: 0xffff_ffff, description: 'rounds of SHA-256 (up to the server cap, default cap 100000)' },
  ],
  'flag',
);
