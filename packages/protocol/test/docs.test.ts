import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode, FATAL_ERROR_CODES, MessageType, isFatalError } from '../src/constants.js';
import * as errors from '../src/errors.js';
import { MAX_STATS_QUERY_PEERS, STATS_QUERY_FIELDS, decodeStats, encodeStats, type PeerCounts, type ServiceTimeSummary, type StatsSnapshot, type UdpStats } from '../src/stats-payload.js';
import { formatPeerAddress } from '../src/peer-address.js';
import * as stream from '../src/stream.js';

const read = (path: string): string => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');
const doc = read('../../../docs/protocol.md');
const readme = read('../README.md');

/** Rows of the first markdown table under `heading` in `text`, header and rule rows left out: every cell of each. */
function tableRows(text: string, heading: string): string[][] {
  const start = text.indexOf(heading);
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (line.startsWith('|')) {
      const cells = line.split('|').slice(1, -1).map((c) => c.trim());
      if (inTable && !/^-+$/.test(cells[0] ?? '')) rows.push(cells);
      inTable = true; // the first row is the header
    } else if (inTable) break;
  }
  return rows;
}

const sorted = (xs: string[]): string[] => [...new Set(xs)].sort();

const enumPairs = (e: Record<string, string | number>): Array<[string, number]> =>
  Object.entries(e).filter((kv): kv is [string, number] => typeof kv[1] === 'number');

describe('docs/protocol.md and the enums agree', () => {
  it('every message type in the doc exists in MessageType, and back', () => {
    const documented = tableRows(doc, '## Message types').map(([hex, name]) => [name, Number.parseInt(hex!, 16)]);
    expect(documented.length).toBeGreaterThanOrEqual(12);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(enumPairs(MessageType)));
  });

  it('every error code in the doc exists in ErrorCode, and back', () => {
    const documented = tableRows(doc, '## Error codes').map(([code, name]) => [name, Number.parseInt(code!, 10)]);
    expect(documented.length).toBeGreaterThanOrEqual(9);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(enumPairs(ErrorCode)));
  });

  it('the codes the doc calls fatal are FATAL_ERROR_CODES', () => {
    const rows = tableRows(doc, '## Error codes');
    // Each "fatal" cell opens with yes, no or never; only a plain yes is fatal for every occurrence
    // (BUSY's "no for a full pool queue; yes when …" is decided per case by the server).
    for (const [, name, fatal] of rows) expect(fatal, name).toMatch(/^(yes|no|never)\b/);
    const documented = rows.filter(([, , fatal]) => /^yes\b/.test(fatal!)).map(([code]) => Number.parseInt(code!, 10));
    expect(documented.length).toBeGreaterThan(0);
    expect(documented.sort()).toEqual([...FATAL_ERROR_CODES].sort());
    for (const [code, name, fatal] of rows) expect(isFatalError(Number.parseInt(code!, 10)), name).toBe(/^yes\b/.test(fatal!));
  });
});

describe('README and src/errors.ts agree (fastify test/internals/errors.test.js)', () => {
  const rows = tableRows(readme, '## Errors').map((cells) => cells.map((c) => c.replaceAll('`', '')));

  it('the Errors table lists every stable code, and only those', () => {
    expect(rows.map(([, code]) => code).sort()).toEqual(Object.values(errors.ProtocolErrorCodes).sort());
  });

  it('the Errors table lists every error class but the base, and only those', () => {
    const classes = Object.entries(errors)
      .filter(([, v]) => typeof v === 'function' && v.prototype instanceof errors.ProtocolError)
      .map(([name]) => name);
    expect(rows.map(([name]) => name).sort()).toEqual(classes.sort());
  });
});

describe('docs/protocol.md and the STATS codecs agree (added fields, the query)', () => {
  /** The text of the first fenced block after `marker`. */
  const blockAfter = (marker: string): string => {
    const at = doc.indexOf(marker);
    expect(at, marker).toBeGreaterThanOrEqual(0);
    const open = doc.indexOf('```', at);
    return doc.slice(doc.indexOf('\n', open) + 1, doc.indexOf('```', open + 3));
  };
  /** Quoted JSON keys written in `text`, placeholders (`"<ERROR_NAME>"`) left out. */
  const quotedKeys = (text: string): string[] => [...new Set([...text.matchAll(/"([A-Za-z]\w*)"\s*:/g)].map((m) => m[1]!))].sort();

  /**
   * Every field StatsSnapshot/UdpStats hold, optional ones included (`Required` makes the compiler
   * insist on each), so a field added to the types without the doc (or back) fails below.
   */
  const everyField: Required<Omit<StatsSnapshot, 'udp'>> & { udp: Required<UdpStats> } = {
    uptimeMs: 1, processes: 1, connections: { current: 0, total: 0 }, frames: { in: 0, out: 0 }, bytes: { in: 0, out: 0 },
    errors: {}, pool: { threads: 0, queued: 0, completed: 0 }, serviceTimeUs: {},
    udp: { in: 0, out: 0, dropped: 0, droppedByReason: {}, kernelDrops: null, peerTable: { size: 0, capacity: 0, evicted: 0 }, peers: {} },
    cpu: { userUs: 0, systemUs: 0 }, tcpRetransmits: null, serviceTimeHistograms: {},
    buffered: { bytes: 0, limit: 0, waiting: 0, frameTimeouts: 0 },
    bus: { state: 'off', published: 0, received: 0, failed: 0, dropped: 0, invalid: 0 },
    stream: { sessions: 0, opened: 0, refused: 0, dataConnections: 0, datagramsDropped: { unknownSession: 0, closedSession: 0, wrongSize: 0, refused: 0 } },
  };
  const summary: Required<ServiceTimeSummary> = { count: 0, p50: 0, p99: 0, p999: 0, max: 0 };
  /** Records (name → value) whose keys are not field names: their own name is, their keys are not. */
  const RECORDS = new Set(['errors', 'serviceTimeUs', 'serviceTimeHistograms', 'droppedByReason', 'peers', 'dropped']);
  /** Every field name in `obj`, at any depth, records' keys left out. */
  const names = (obj: object): string[] => Object.entries(obj).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null && !RECORDS.has(k) ? [k, ...names(v as object)] : [k]);

  it('the base schema, "Added fields" and the query\'s additions name exactly the fields of the types', () => {
    const base = quotedKeys(blockAfter('## STATS schema'));
    const added = quotedKeys(blockAfter('Added fields'));
    expect(added).toEqual(['buffered', 'bus', 'bytes', 'capacity', 'closedSession', 'cpu', 'dataConnections', 'datagramsDropped', 'dropped', 'droppedByReason', 'evicted', 'failed', 'frameTimeouts', 'invalid', 'kernelDrops', 'limit', 'opened', 'peerTable', 'published', 'received', 'refused', 'sessions', 'size', 'state', 'stream', 'systemUs', 'tcpRetransmits', 'udp', 'unknownSession', 'userUs', 'waiting', 'wrongSize']);
    // The query's additions: `serviceTimeHistograms` and `udp.peers`, as the query table writes them.
    const queryAdded = ['serviceTimeHistograms', 'peers'];
    expect(sorted([...base, ...added, ...queryAdded])).toEqual(sorted([...names(everyField), ...names(summary)]));
    expect(decodeStats(encodeStats(everyField))).toEqual(everyField);
    // The added fields are optional: a reply of the base schema alone decodes.
    const { cpu: _c, tcpRetransmits: _t, serviceTimeHistograms: _h, buffered: _b, bus: _bus, stream: _s, ...older } = everyField;
    const olderUdp = { in: 1, out: 1, dropped: 0 };
    expect(decodeStats(encodeStats({ ...older, udp: olderUdp }))).toEqual({ ...older, udp: olderUdp });
  });

  it('the "STATS query" table names exactly STATS_QUERY_FIELDS, and each adds what the doc says', () => {
    const rows = tableRows(doc, '### STATS query');
    expect(rows.map(([name]) => name!.replaceAll('`', '')).sort()).toEqual([...STATS_QUERY_FIELDS].sort());
    const cell = (f: string): string => rows.find(([name]) => name === `\`${f}\``)![1]!;
    expect(cell('histograms')).toContain('`serviceTimeHistograms: {"<TYPE_NAME>": string}`');
    expect(cell('peers')).toContain(`at most ${MAX_STATS_QUERY_PEERS} UDP peer addresses`);
    expect(cell('peers')).toContain('`udp.peers: {"<addr>": {"received": int, "answered": int, "dropped": {"<ERROR_NAME>": int}}}`');
    const entry: Required<PeerCounts> = { received: 0, answered: 0, dropped: {} };
    expect(quotedKeys(cell('peers'))).toEqual(sorted(names(entry)));
  });

  it('the doc\'s peer address forms are formatPeerAddress\'s', () => {
    const cell = tableRows(doc, '### STATS query').find(([name]) => name === '`peers`')![1]!;
    expect(cell).toContain(`\`"${formatPeerAddress('ip', 0).replace('0', 'port')}"\``);
    expect(cell).toContain(`\`"${formatPeerAddress('addr:', 0).replace(':]', ']').replace(':0', ':port')}"\``);
  });
});

describe('docs/protocol.md "Stream" and the stream codecs agree', () => {
  const section = doc.slice(doc.indexOf('## Stream'), doc.indexOf('## Raw echo'));
  /** The text of the first fenced block after `marker` within the Stream section. */
  const blockIn = (marker: string): string => {
    const at = section.indexOf(marker);
    expect(at, marker).toBeGreaterThanOrEqual(0);
    const open = section.indexOf('```', at);
    return section.slice(section.indexOf('\n', open) + 1, section.indexOf('```', open + 3));
  };
  const keys = (text: string): string[] => [...new Set([...text.matchAll(/"([A-Za-z]\w*)"\s*:/g)].map((m) => m[1]!))].sort();

  it('the STREAM_OPEN table names exactly the request fields', () => {
    const rows = tableRows(section, '### STREAM_OPEN');
    expect(rows.map(([name]) => name!.replaceAll('`', ''))).toEqual([...stream.STREAM_OPEN_FIELDS]);
  });

  it('the STREAM_DATA layout is the codec\'s: sequence at 12, sentUs at 20, padding from 28', () => {
    const layout = blockIn('### STREAM_DATA').split('\n').map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '));
    expect(layout).toContain('12 8 sequence');
    expect(layout).toContain('20 8 sentUs');
    expect(layout).toContain(`${stream.STREAM_DATA_MIN_SIZE} n padding`);
    const frame = stream.stampStreamData(stream.newStreamDataFrame(9, 40), 2 ** 40 + 1, 7);
    expect([frame.readBigUInt64BE(12), frame.readBigUInt64BE(20)]).toEqual([2n ** 40n + 1n, 7n]);
  });

  it('the report blocks name exactly the report fields', () => {
    expect(keys(blockIn('Receiver (up)'))).toEqual(sorted([...stream.STREAM_REPORT_FIELDS.receiver, ...stream.STREAM_REPORT_FIELDS.interval]));
    const senderLine = section.slice(section.indexOf('Sender (down):'), section.indexOf('The client\'s own receiver report'));
    expect(keys(senderLine)).toEqual(sorted([...stream.STREAM_REPORT_FIELDS.sender]));
  });

  it('the numbers the section gives are the constants', () => {
    const flat = section.replaceAll(/\s+/g, ' ');
    const said = [
      `${stream.STREAM_DATA_MIN_SIZE}..${stream.STREAM_DATA_MAX_SIZE}`,
      `within ${stream.STREAM_START_TIMEOUT_MS / 1000} s of its open (\`STREAM_START_TIMEOUT_MS\`)`,
      `\`durationMs\` + ${stream.STREAM_REPORT_GRACE_MS / 1000} s (\`STREAM_REPORT_GRACE_MS\`)`,
      `until ${stream.STREAM_STRAGGLER_QUIET_MS} ms pass with no data message (\`STREAM_STRAGGLER_QUIET_MS\`)`,
      `at most ${stream.STREAM_STRAGGLER_MAX_MS} ms (\`STREAM_STRAGGLER_MAX_MS\`)`,
      `at most ${stream.STREAM_MAX_BINDS} BINDs per session`,
      `the last ${stream.STREAM_CLOSED_MEMORY} per process`,
      `within ${stream.STREAM_DUPLICATE_WINDOW} of the highest`,
      `at most ${stream.STREAM_MAX_INTERVALS}`,
      `more than 2^${Math.log2(stream.STREAM_MAX_SEQUENCE_JUMP)} (\`STREAM_MAX_SEQUENCE_JUMP\`) above the highest`,
      `${stream.STREAM_KEY_BYTES * 2} lowercase hex digits (${stream.STREAM_KEY_BYTES} random bytes)`,
      `a fresh random ${stream.STREAM_CHALLENGE_BYTES}-byte challenge`,
      `\`--max-streams\` (sessions open at once, default ${stream.DEFAULT_MAX_STREAMS})`,
      `\`--max-streams-per-connection\` (sessions open at once that one control connection opened, default ${stream.DEFAULT_MAX_STREAMS_PER_CONNECTION}:`,
      `\`--max-stream-bitrate\` (bit/s, default 1 Gbit/s = 10^${Math.log10(stream.DEFAULT_MAX_STREAM_BITRATE)})`,
      `\`--max-stream-duration\` (ms, default ${stream.DEFAULT_MAX_STREAM_DURATION_MS})`,
    ];
    for (const s of said) expect(flat, s).toContain(s);
  });

  it('the refusals the codecs make are written as the table gives them', () => {
    const reasons = tableRows(section, '### Caps and refusals').map(([, code, r]) => `${code} ${r}`);
    const reasonOf = (payload: unknown): string => {
      try {
        stream.decodeStreamOpen(Buffer.from(JSON.stringify(payload)));
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    const size = reasonOf({ direction: 'up', transport: 'tcp', size: 5, durationMs: 1 }).replace('5', '<n>');
    const rate = reasonOf({ direction: 'up', transport: 'udp', size: 100, durationMs: 1 });
    expect(reasons).toContain(`BAD_PAYLOAD \`${size}\``);
    expect(reasons).toContain(`BAD_PAYLOAD \`${rate}\``);
    const open = reasons.find((r) => r.startsWith('BAD_PAYLOAD `STREAM_OPEN …`'))!;
    for (const bad of [{}, { direction: 'x' }, { direction: 'up', transport: 'x' }, { direction: 'up', transport: 'tcp', size: 100, durationMs: 0 }]) {
      expect(open).toContain(`\`${reasonOf(bad)}\``);
    }
  });
});
