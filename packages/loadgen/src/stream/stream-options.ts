/**
 * The flags of `stream` and `compare --mode stream` (their own table, STREAM_OPTIONS, beside the
 * plan's `--host`, `--port`, `--transport`, `--size`, `--duration`, `--token`, the socket flags and
 * the output flags), and {@link resolveStreamOptions}, which merges defaults and validates once.
 */
import { OptionTable, isOptionError, type TableGiven } from '@sockbench/options';
import { DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_CONNECTION, STREAM_DATA_MAX_SIZE, STREAM_DATA_MIN_SIZE, type StreamDirection, type StreamTransport } from '@sockbench/protocol';
import { UsageError } from '../errors.js';
import { OUTPUT_OPTIONS, PLAN_OPTIONS, SLO_OPTIONS } from '../options.js';
import { checkStreamSlos } from '../slo/stream.js';
import { parseSlos, type Slo } from '../slo/parse.js';
import { SOCKET_OPTIONS, resolveSocketPlan, type SocketArgs, type SocketPlan } from '../socket-plan.js';
import { parseBitrate } from './bitrate.js';

/** Default `--size` of a stream message: bytes of each STREAM_DATA frame, header included. */
export const DEFAULT_STREAM_SIZE = 1400;

/** Most `--parallel` sessions per direction. */
export const MAX_PARALLEL = 128;

/** The flags of `stream` besides the plan's, socket and output flags. */
export const STREAM_OPTIONS = new OptionTable(
  [
    { key: 'bitrate', flag: 'bitrate', alias: 'b', type: 'string', unit: 'bit/s', expect: 'a bit rate such as 150Mbit/s', description: 'offered rate per session over whole messages, SI (150Mbit/s, 1.5Gbit/s, iperf3-style 100M); required for udp; tcp without it sends as fast as the connection takes' },
    { key: 'reverse', flag: 'reverse', type: 'boolean', default: false, description: 'down: the server sends, this side receives and counts (iperf3 -R)' },
    { key: 'bidir', flag: 'bidir', type: 'boolean', default: false, description: 'up and down at once (iperf3 --bidir); excludes --reverse' },
    { key: 'parallel', flag: 'parallel', alias: 'P', type: 'integer', default: 1, min: 1, max: MAX_PARALLEL, description: `sessions per direction, each with its own data connection or socket (the server allows ${DEFAULT_MAX_STREAMS} at once by default, ${DEFAULT_MAX_STREAMS_PER_CONNECTION} on one control connection: with --bidir that is --parallel ${DEFAULT_MAX_STREAMS_PER_CONNECTION / 2})` },
  ],
  'flag',
);

/** What one stream test runs: its report's `plan`. Units: bytes, bit/s, ms. */
export interface StreamPlan {
  host: string;
  port: number;
  transport: StreamTransport;
  /** The direction of this run's sessions (a `--bidir` test makes one run per direction). */
  direction: StreamDirection;
  /** Both directions ran at once (`--bidir`). */
  bidir: boolean;
  /** Bytes of every STREAM_DATA frame, header included. */
  size: number;
  /** Offered bit/s per session; null: unpaced TCP. */
  bitrate: number | null;
  durationMs: number;
  /** Sessions of this direction. */
  parallel: number;
  socket: SocketPlan;
}

/** Everything a stream command needs. */
export interface StreamOptions {
  /** One plan per direction (`up`, `down` or both). */
  plans: StreamPlan[];
  token: string | null;
  json: string | null;
  html: string | null;
  quiet: boolean;
  /** `--json-stream`: NDJSON events on stdout as the test goes (stream-events.ts). */
  jsonStream: boolean;
  slo: Slo[];
}

/** The plan flags a stream test takes; the rest of the plan table is request/response only. */
export const STREAM_PLAN_FLAGS = ['host', 'port', 'transport', 'size', 'duration', 'token'];

/** Request/response flags refused in stream mode (they have no default, so a given one is seen). */
const REQUEST_ONLY: Record<string, string> = { rate: 'stream mode offers --bitrate', pipeline: 'a stream has no requests in flight', requests: 'stream mode is bounded by --duration' };

/** The raw stream flags as parsed. */
export type StreamArgs = TableGiven<typeof STREAM_OPTIONS> & TableGiven<typeof PLAN_OPTIONS> & TableGiven<typeof OUTPUT_OPTIONS> & TableGiven<typeof SLO_OPTIONS> & SocketArgs;

/** The stream flags of parsed argv. */
export function streamArgs(argv: Record<string, unknown>): StreamArgs {
  return { ...PLAN_OPTIONS.fromArgv(argv), ...OUTPUT_OPTIONS.fromArgv(argv), ...SLO_OPTIONS.fromArgv(argv), ...SOCKET_OPTIONS.fromArgv(argv), ...STREAM_OPTIONS.fromArgv(argv) };
}

/**
 * Merges the defaults and validates a stream test's flags.
 * @param context.mixed compare's runs share the flags over TCP and UDP
 * @throws UsageError naming the flag: a transport other than tcp/udp, a size outside 28..65507, udp
 *   without --bitrate, a bad bitrate, --reverse with --bidir, a request/response flag, a bad socket
 *   flag, an SLO that does not apply to streams
 */
export function resolveStreamOptions(args: StreamArgs, context: { mixed?: boolean } = {}): StreamOptions {
  try {
    return resolve(args, context);
  } catch (err) {
    if (isOptionError(err)) throw new UsageError(err.message);
    throw err;
  }
}

function resolve(args: StreamArgs, context: { mixed?: boolean }): StreamOptions {
  PLAN_OPTIONS.refuseRepeats(args);
  STREAM_OPTIONS.refuseRepeats(args);
  OUTPUT_OPTIONS.refuseRepeats(args);
  for (const [key, why] of Object.entries(REQUEST_ONLY)) {
    if ((args as Record<string, unknown>)[key] !== undefined) throw new UsageError(`--${key} is a request/response flag: ${why}`);
  }
  if (args.hdrLog !== undefined) throw new UsageError('--hdr-log is not available in stream mode (its intervals are in the JSON report)');
  const P = PLAN_OPTIONS;
  const host = P.take('host', args.host);
  const port = P.take('port', args.port);
  const transport = P.take('transport', args.transport);
  if (transport !== 'tcp' && transport !== 'udp') throw new UsageError(`stream mode runs over --transport tcp or udp, got ${transport}`);
  const size = P.take('size', args.size ?? DEFAULT_STREAM_SIZE, { min: STREAM_DATA_MIN_SIZE, max: STREAM_DATA_MAX_SIZE, unit: 'bytes for a stream message (header included)' })!;
  const durationMs = P.take('duration', args.duration);
  const token = P.take('token', args.token) ?? null;
  const S = STREAM_OPTIONS;
  const reverse = S.take('reverse', args.reverse);
  const bidir = S.take('bidir', args.bidir);
  if (reverse && bidir) throw new UsageError('--reverse (down only) and --bidir (up and down) cannot be used together');
  const parallel = S.take('parallel', args.parallel);
  const bitrateText = S.take('bitrate', args.bitrate);
  const bitrate = bitrateText === undefined ? null : parseBitrate(bitrateText);
  if (transport === 'udp' && bitrate === null) throw new UsageError('--transport udp needs --bitrate, the offered rate (e.g. --bitrate 100Mbit/s): UDP has no flow control to find it');
  const directions: StreamDirection[] = bidir ? ['up', 'down'] : reverse ? ['down'] : ['up'];
  const socket = resolveSocketPlan(args, { host, transport, sockets: parallel * directions.length, ...context });
  const out = OUTPUT_OPTIONS.fill({ json: args.json, html: args.html, quiet: args.quiet, jsonStream: args.jsonStream });
  if (out.json === '-' && out.jsonStream) throw new UsageError('--json - and --json-stream both write to stdout: give --json a file name');
  const slo = parseSlos(args.slo);
  checkStreamSlos(slo);
  return {
    plans: directions.map((direction) => ({ host, port, transport, direction, bidir, size, bitrate, durationMs, parallel, socket })),
    token,
    json: out.json ?? null,
    html: out.html ?? null,
    quiet: out.quiet,
    jsonStream: out.jsonStream,
    slo,
  };
}
