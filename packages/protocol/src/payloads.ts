/**
 * Typed codecs for every payload in docs/protocol.md ("Message types"). Decoders validate as the
 * page says and throw {@link BadPayloadError} (code BAD_PAYLOAD) with a message naming what is wrong.
 * Decoders take the request id so the error they throw answers the right request.
 */
import {
  COMPUTE_ITERATIONS_BYTES,
  DEFAULT_MAX_ITERATIONS,
  ErrorCode,
  MAX_ROOM_NAME_BYTES,
  MAX_SAY_TEXT_BYTES,
} from './constants.js';
import { BadPayloadError } from './errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const CONTROL = /\p{Cc}/u;

/** Decodes strict UTF-8 (an invalid sequence is BAD_PAYLOAD). */
export function decodeUtf8(bytes: Uint8Array, what: string, id = 0): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new BadPayloadError(`${what} is not valid UTF-8`, id);
  }
}

function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function decodeJsonObject(bytes: Uint8Array, what: string, id: number): Record<string, unknown> {
  const text = decodeUtf8(bytes, what, id);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadPayloadError(`${what} is not valid JSON`, id);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadPayloadError(`${what} must be a JSON object`, id);
  }
  return value as Record<string, unknown>;
}

function field<T extends 'string' | 'number' | 'boolean'>(
  obj: Record<string, unknown>,
  key: string,
  kind: T,
  what: string,
  id: number,
  optional: boolean,
): (T extends 'string' ? string : T extends 'number' ? number : boolean) | undefined {
  const v = obj[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== kind) throw new BadPayloadError(`${what}.${key} must be a ${kind}`, id);
  return v as T extends 'string' ? string : T extends 'number' ? number : boolean;
}

// ── HELLO ─────────────────────────────────────────────────────────────────────────────────────

/** HELLO request: UTF-8 JSON `{"client"?: string, "token"?: string}`. */
export interface Hello {
  /** Name shown as `from` in CHAT pushes. */
  client?: string;
  /** Shared secret, when the server was started with `--token`. */
  token?: string;
}

/** Encodes a HELLO payload. */
export function encodeHello(hello: Hello): Buffer {
  return encodeJson(hello);
}

/** Decodes a HELLO payload. @throws BadPayloadError on bad JSON or wrong field types */
export function decodeHello(bytes: Uint8Array, id = 0): Hello {
  const obj = decodeJsonObject(bytes, 'HELLO', id);
  const out: Hello = {};
  const client = field(obj, 'client', 'string', 'HELLO', id, true);
  const token = field(obj, 'token', 'string', 'HELLO', id, true);
  if (client !== undefined) out.client = client;
  if (token !== undefined) out.token = token;
  return out;
}

// ── WELCOME ───────────────────────────────────────────────────────────────────────────────────

/** WELCOME push (and HELLO reply): sent with id 0 as soon as a TCP connection is accepted. */
export interface Welcome {
  /** Greeting for humans. */
  message: string;
  /** `"sockbench/<version>"`. */
  server: string;
  /** 0-based index of the server process that owns the connection. */
  worker: number;
  /** Largest payload this server accepts, bytes. */
  maxPayload: number;
  /** Whether the server requires a token in HELLO. */
  auth: boolean;
}

/** Encodes a WELCOME payload. */
export function encodeWelcome(welcome: Welcome): Buffer {
  return encodeJson(welcome);
}

/** Decodes a WELCOME payload. @throws BadPayloadError */
export function decodeWelcome(bytes: Uint8Array, id = 0): Welcome {
  const obj = decodeJsonObject(bytes, 'WELCOME', id);
  return {
    message: field(obj, 'message', 'string', 'WELCOME', id, false)!,
    server: field(obj, 'server', 'string', 'WELCOME', id, false)!,
    worker: field(obj, 'worker', 'number', 'WELCOME', id, false)!,
    maxPayload: field(obj, 'maxPayload', 'number', 'WELCOME', id, false)!,
    auth: field(obj, 'auth', 'boolean', 'WELCOME', id, false)!,
  };
}

// ── COMPUTE ───────────────────────────────────────────────────────────────────────────────────

/** COMPUTE request: 4-byte `iterations` then the data bytes. */
export interface ComputeRequest {
  /** SHA-256 rounds, 1..the server's cap. */
  iterations: number;
  /** Bytes hashed by the first round (a view into the payload when decoded). */
  data: Buffer;
}

/** Limits applied by {@link decodeCompute}. */
export interface ComputeLimits {
  /** Server cap on iterations (default 100000). */
  maxIterations?: number;
  /** Fewest data bytes accepted (UDP requires 32: no amplification). Default 0. */
  minDataBytes?: number;
}

/** Encodes a COMPUTE payload. @throws RangeError when iterations is not a u32 */
export function encodeCompute(iterations: number, data: Uint8Array): Buffer {
  if (!Number.isInteger(iterations) || iterations < 0 || iterations > 0xffff_ffff) {
    throw new RangeError(`iterations must be an integer in 0..4294967295, got ${iterations}`);
  }
  const out = Buffer.allocUnsafe(COMPUTE_ITERATIONS_BYTES + data.length);
  out.writeUInt32BE(iterations, 0);
  out.set(data, COMPUTE_ITERATIONS_BYTES);
  return out;
}

/**
 * Decodes a COMPUTE payload.
 * @throws BadPayloadError when shorter than 4 bytes, iterations is 0 or over the cap, or the data is
 *   shorter than `minDataBytes`
 */
export function decodeCompute(payload: Buffer, id = 0, limits: ComputeLimits = {}): ComputeRequest {
  const cap = limits.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  if (payload.length < COMPUTE_ITERATIONS_BYTES) {
    throw new BadPayloadError(`COMPUTE payload of ${payload.length} bytes is shorter than the 4-byte iterations field`, id);
  }
  const iterations = payload.readUInt32BE(0);
  if (iterations < 1 || iterations > cap) {
    throw new BadPayloadError(`COMPUTE iterations must be in 1..${cap}, got ${iterations}`, id);
  }
  const data = payload.subarray(COMPUTE_ITERATIONS_BYTES);
  const min = limits.minDataBytes ?? 0;
  if (data.length < min) {
    throw new BadPayloadError(`COMPUTE data of ${data.length} bytes is under the ${min} bytes required`, id);
  }
  return { iterations, data };
}

// ── JOIN / LEAVE ──────────────────────────────────────────────────────────────────────────────

/**
 * Checks a room name: 1..64 bytes of UTF-8 with no code point of Unicode category Cc.
 * @throws BadPayloadError
 */
export function validateRoomName(name: string, id = 0): string {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes < 1 || bytes > MAX_ROOM_NAME_BYTES) {
    throw new BadPayloadError(`room name must be 1..${MAX_ROOM_NAME_BYTES} bytes of UTF-8, got ${bytes}`, id);
  }
  if (CONTROL.test(name)) throw new BadPayloadError('room name must not contain control characters', id);
  return name;
}

/** Encodes a JOIN or LEAVE payload (the room name). @throws BadPayloadError on an invalid name */
export function encodeRoom(name: string): Buffer {
  return Buffer.from(validateRoomName(name), 'utf8');
}

/** Decodes a JOIN or LEAVE payload. @throws BadPayloadError */
export function decodeRoom(payload: Uint8Array, id = 0): string {
  if (payload.length < 1 || payload.length > MAX_ROOM_NAME_BYTES) {
    throw new BadPayloadError(`room name must be 1..${MAX_ROOM_NAME_BYTES} bytes of UTF-8, got ${payload.length}`, id);
  }
  return validateRoomName(decodeUtf8(payload, 'room name', id), id);
}

// ── SAY ───────────────────────────────────────────────────────────────────────────────────────

/** SAY request: 1-byte room-name length, room name, UTF-8 text. */
export interface Say {
  room: string;
  /** At most 4096 bytes of UTF-8. */
  text: string;
}

/** Encodes a SAY payload. @throws BadPayloadError on an invalid room name or text over 4096 bytes */
export function encodeSay(room: string, text: string): Buffer {
  const roomBytes = encodeRoom(room);
  const textBytes = Buffer.from(text, 'utf8');
  if (textBytes.length > MAX_SAY_TEXT_BYTES) {
    throw new BadPayloadError(`SAY text must be at most ${MAX_SAY_TEXT_BYTES} bytes, got ${textBytes.length}`);
  }
  const out = Buffer.allocUnsafe(1 + roomBytes.length + textBytes.length);
  out[0] = roomBytes.length;
  roomBytes.copy(out, 1);
  textBytes.copy(out, 1 + roomBytes.length);
  return out;
}

/** Decodes a SAY payload. @throws BadPayloadError */
export function decodeSay(payload: Buffer, id = 0): Say {
  if (payload.length < 1) throw new BadPayloadError('SAY payload is empty', id);
  const n = payload[0]!;
  if (payload.length < 1 + n) {
    throw new BadPayloadError(`SAY room-name length ${n} runs past the ${payload.length}-byte payload`, id);
  }
  const room = decodeRoom(payload.subarray(1, 1 + n), id);
  const textBytes = payload.subarray(1 + n);
  if (textBytes.length > MAX_SAY_TEXT_BYTES) {
    throw new BadPayloadError(`SAY text must be at most ${MAX_SAY_TEXT_BYTES} bytes, got ${textBytes.length}`, id);
  }
  return { room, text: decodeUtf8(textBytes, 'SAY text', id) };
}

// ── CHAT ──────────────────────────────────────────────────────────────────────────────────────

/** CHAT push: id 0, UTF-8 JSON. */
export interface Chat {
  room: string;
  /** The sender's HELLO `client` name, else `ip:port`. */
  from: string;
  text: string;
}

/** Encodes a CHAT payload. */
export function encodeChat(chat: Chat): Buffer {
  return encodeJson({ room: chat.room, from: chat.from, text: chat.text });
}

/** Decodes a CHAT payload. @throws BadPayloadError */
export function decodeChat(bytes: Uint8Array, id = 0): Chat {
  const obj = decodeJsonObject(bytes, 'CHAT', id);
  return {
    room: field(obj, 'room', 'string', 'CHAT', id, false)!,
    from: field(obj, 'from', 'string', 'CHAT', id, false)!,
    text: field(obj, 'text', 'string', 'CHAT', id, false)!,
  };
}

// ── STATS ─────────────────────────────────────────────────────────────────────────────────────

/** Service-time summary of one message type, microseconds (µs). */
export interface ServiceTimeSummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** CPU time, microseconds (µs): `process.cpuUsage()`'s shape, all threads of a process. */
export interface CpuTimes {
  userUs: number;
  systemUs: number;
}

/** Fill of the server's per-peer UDP table (docs/protocol.md, "STATS query"), summed over processes. */
export interface PeerTableStats {
  /** Entries held now. */
  size: number;
  /** Most entries held (`--udp-peer-table` × processes); 0 = the table is off. */
  capacity: number;
  /** Entries evicted (least recently seen) to make room, cumulative. */
  evicted: number;
}

/** One UDP peer's counters (cumulative since its table entry was created), datagrams. */
export interface PeerCounts {
  /** Datagrams received from the peer (served or dropped). */
  received: number;
  /** Replies sent to it. */
  answered: number;
  /** Dropped datagrams by error-code name, e.g. `{"UNSUPPORTED": 1}`; only non-zero reasons. */
  dropped: Record<string, number>;
}

/**
 * Added: a server's budget of bytes held in incomplete TCP frames (`--max-buffered-bytes`,
 * `--frame-timeout`), summed over processes.
 */
export interface BufferedStats {
  /** Bytes charged now: the whole size of every admitted incomplete frame, plus what waiting connections hold, bytes. */
  bytes: number;
  /** The budget, bytes. */
  limit: number;
  /** Connections not read because their next frame does not fit. */
  waiting: number;
  /** Connections closed because a frame did not complete within the frame timeout (cumulative). */
  frameTimeouts: number;
}

/** States of a server's chat bus (STATS `bus.state`; docs/protocol.md, "Chat across servers"). */
export const BUS_STATES = ['off', 'connecting', 'connected', 'down'] as const;
/** One of {@link BUS_STATES}. */
export type BusState = (typeof BUS_STATES)[number];

/**
 * Added: a server's chat bus between servers (`--redis`), counts cumulative and summed over processes.
 * `state` is the least healthy process's: `down`, then `connecting`, then `connected`; `off` without a bus.
 */
export interface BusStats {
  state: BusState;
  /** SAYs published and acknowledged by the bus. */
  published: number;
  /** Messages of other servers taken off the bus (once per process that took it). */
  received: number;
  /** Publishes sent that the bus did not acknowledge (error reply, or the connection closed first). */
  failed: number;
  /** SAYs not sent: the connection was not up, or the bound of publishes awaiting acknowledgement was full. */
  dropped: number;
  /** Messages on the bus channel that are not chat messages of this protocol (skipped). */
  invalid: number;
}

/** The `udp` group of a STATS reply. Optional fields are the added ones: older servers omit them. */
export interface UdpStats {
  /** Datagrams received. */
  in: number;
  /** Datagrams sent. */
  out: number;
  /** Datagrams dropped (not answered). */
  dropped: number;
  /** Dropped datagrams by error-code name. */
  droppedByReason?: Record<string, number>;
  /** Kernel drops on sockets bound to the server's UDP port (/proc/net/udp{,6} `drops`); null where unknown. */
  kernelDrops?: number | null;
  /** Fill of the per-peer table. */
  peerTable?: PeerTableStats;
  /** Only when the query named peers: the named peers the table holds, by `"ip:port"` (`formatPeerAddress`). */
  peers?: Record<string, PeerCounts>;
}

/** STATS reply: a snapshot of the whole server, summed over all processes (docs/protocol.md). */
export interface StatsSnapshot {
  uptimeMs: number;
  processes: number;
  connections: { current: number; total: number };
  frames: { in: number; out: number };
  bytes: { in: number; out: number };
  /** Count per error-code name, e.g. `{"BAD_PAYLOAD": 3}`. */
  errors: Record<string, number>;
  udp: UdpStats;
  pool: { threads: number; queued: number; completed: number };
  /** Per message-type name, e.g. `{"ECHO": {...}}`. */
  serviceTimeUs: Record<string, ServiceTimeSummary>;
  /** Added: CPU time of every server process, cumulative, µs. */
  cpu?: CpuTimes;
  /** Added: the host's TCP RetransSegs (/proc/net/snmp, host-wide, cumulative); null where unknown. */
  tcpRetransmits?: number | null;
  /** Added: the budget of incomplete TCP frames. */
  buffered?: BufferedStats;
  /** Added: the chat bus between servers. */
  bus?: BusStats;
  /**
   * Only when the query asked `histograms: true`: per message-type name, the cumulative service-time
   * histogram as HdrHistogram compressed base64 (V2; 1 µs .. 60 s, 3 significant digits).
   */
  serviceTimeHistograms?: Record<string, string>;
}

/** Encodes a STATS reply payload. */
export function encodeStats(stats: StatsSnapshot): Buffer {
  return encodeJson(stats);
}

const STATS_GROUPS: Record<string, readonly string[]> = {
  connections: ['current', 'total'],
  frames: ['in', 'out'],
  bytes: ['in', 'out'],
  udp: ['in', 'out', 'dropped'],
  pool: ['threads', 'queued', 'completed'],
};

function group(obj: Record<string, unknown>, key: string, what: string, id: number): Record<string, unknown> {
  const g = obj[key];
  if (typeof g !== 'object' || g === null || Array.isArray(g)) throw new BadPayloadError(`${what}.${key} must be an object`, id);
  return g as Record<string, unknown>;
}

function countRecord(obj: Record<string, unknown>, key: string, what: string, id: number): void {
  const g = group(obj, key, what, id);
  for (const k of Object.keys(g)) field(g, k, 'number', `${what}.${key}`, id, false);
}

function numberOrNull(obj: Record<string, unknown>, key: string, what: string, id: number): void {
  const v = obj[key];
  if (v !== undefined && v !== null && typeof v !== 'number') throw new BadPayloadError(`${what}.${key} must be a number or null`, id);
}

/**
 * Decodes a STATS reply payload, checking the schema's fields and, when present, the added ones
 * (`cpu`, `tcpRetransmits`, `buffered`, `bus`, `udp.droppedByReason`, `udp.kernelDrops`, `udp.peerTable`,
 * `udp.peers`, `serviceTimeHistograms`); a reply from an older server without them decodes too.
 * @throws BadPayloadError
 */
export function decodeStats(bytes: Uint8Array, id = 0): StatsSnapshot {
  const obj = decodeJsonObject(bytes, 'STATS', id);
  field(obj, 'uptimeMs', 'number', 'STATS', id, false);
  field(obj, 'processes', 'number', 'STATS', id, false);
  for (const [name, keys] of Object.entries(STATS_GROUPS)) {
    const g = group(obj, name, 'STATS', id);
    for (const k of keys) field(g, k, 'number', `STATS.${name}`, id, false);
  }
  group(obj, 'errors', 'STATS', id);
  group(obj, 'serviceTimeUs', 'STATS', id);
  if (obj.cpu !== undefined) {
    const cpu = group(obj, 'cpu', 'STATS', id);
    field(cpu, 'userUs', 'number', 'STATS.cpu', id, false);
    field(cpu, 'systemUs', 'number', 'STATS.cpu', id, false);
  }
  numberOrNull(obj, 'tcpRetransmits', 'STATS', id);
  if (obj.buffered !== undefined) {
    const b = group(obj, 'buffered', 'STATS', id);
    for (const k of ['bytes', 'limit', 'waiting', 'frameTimeouts']) field(b, k, 'number', 'STATS.buffered', id, false);
  }
  if (obj.bus !== undefined) {
    const b = group(obj, 'bus', 'STATS', id);
    if (!(BUS_STATES as readonly unknown[]).includes(b.state)) throw new BadPayloadError(`STATS.bus.state must be one of ${BUS_STATES.join(', ')}`, id);
    for (const k of ['published', 'received', 'failed', 'dropped', 'invalid']) field(b, k, 'number', 'STATS.bus', id, false);
  }
  if (obj.serviceTimeHistograms !== undefined) {
    const h = group(obj, 'serviceTimeHistograms', 'STATS', id);
    for (const k of Object.keys(h)) field(h, k, 'string', 'STATS.serviceTimeHistograms', id, false);
  }
  const udp = obj.udp as Record<string, unknown>;
  if (udp.droppedByReason !== undefined) countRecord(udp, 'droppedByReason', 'STATS.udp', id);
  numberOrNull(udp, 'kernelDrops', 'STATS.udp', id);
  if (udp.peerTable !== undefined) {
    const t = group(udp, 'peerTable', 'STATS.udp', id);
    for (const k of ['size', 'capacity', 'evicted']) field(t, k, 'number', 'STATS.udp.peerTable', id, false);
  }
  if (udp.peers !== undefined) {
    const peers = group(udp, 'peers', 'STATS.udp', id);
    for (const addr of Object.keys(peers)) {
      const what = `STATS.udp.peers[${JSON.stringify(addr)}]`;
      const p = group(peers, addr, 'STATS.udp.peers', id);
      field(p, 'received', 'number', what, id, false);
      field(p, 'answered', 'number', what, id, false);
      countRecord(p, 'dropped', what, id);
    }
  }
  return obj as unknown as StatsSnapshot;
}

// ── STATS query ───────────────────────────────────────────────────────────────────────────────

/** Most peer addresses one STATS query may name. */
export const MAX_STATS_QUERY_PEERS = 64;

/** STATS request payload (docs/protocol.md, "STATS query"); `{}` is the plain STATS. */
export interface StatsQuery {
  /** `true` adds `serviceTimeHistograms` to the reply. */
  histograms?: boolean;
  /** At most 64 UDP peer addresses, `"ip:port"` / `"[v6]:port"` (`formatPeerAddress`); the reply adds `udp.peers`. */
  peers?: string[];
}

/** The fields a STATS query may carry (docs/protocol.md's "STATS query" table). */
export const STATS_QUERY_FIELDS: readonly (keyof StatsQuery)[] = ['histograms', 'peers'];
const QUERY_FIELDS: ReadonlySet<string> = new Set(STATS_QUERY_FIELDS);

/**
 * Encodes a STATS request payload. A query asking nothing (`{}`, no fields set) encodes as the
 * empty payload, which every version-1 server accepts (older ones refuse any other).
 * @throws RangeError when `peers` names more than 64 addresses
 */
export function encodeStatsQuery(query: StatsQuery = {}): Buffer {
  const out: StatsQuery = {};
  if (query.histograms !== undefined) out.histograms = query.histograms;
  if (query.peers !== undefined) {
    if (query.peers.length > MAX_STATS_QUERY_PEERS) {
      throw new RangeError(`a STATS query names at most ${MAX_STATS_QUERY_PEERS} peers, got ${query.peers.length}`);
    }
    out.peers = [...query.peers];
  }
  return Object.keys(out).length === 0 ? Buffer.alloc(0) : encodeJson(out);
}

/**
 * Decodes a STATS request payload; an empty payload is `{}`. A peer string that is no
 * `ip:port` is accepted (no table entry matches it, so the reply leaves it out).
 * @throws BadPayloadError when it is not UTF-8 JSON, not an object, has an unknown field, a field
 *   of the wrong type, or more than 64 peers
 */
export function decodeStatsQuery(bytes: Uint8Array, id = 0): StatsQuery {
  if (bytes.length === 0) return {};
  const obj = decodeJsonObject(bytes, 'STATS query', id);
  for (const key of Object.keys(obj)) {
    if (!QUERY_FIELDS.has(key)) throw new BadPayloadError(`STATS query has an unknown field ${JSON.stringify(key)}`, id);
  }
  const out: StatsQuery = {};
  const histograms = field(obj, 'histograms', 'boolean', 'STATS query', id, true);
  if (histograms !== undefined) out.histograms = histograms;
  const peers = obj.peers;
  if (peers !== undefined) {
    if (!Array.isArray(peers) || !peers.every((p) => typeof p === 'string')) {
      throw new BadPayloadError('STATS query.peers must be an array of strings', id);
    }
    if (peers.length > MAX_STATS_QUERY_PEERS) {
      throw new BadPayloadError(`STATS query.peers must name at most ${MAX_STATS_QUERY_PEERS} addresses, got ${peers.length}`, id);
    }
    out.peers = peers as string[];
  }
  return out;
}

// ── ERROR ─────────────────────────────────────────────────────────────────────────────────────

/** ERROR payload: 2-byte code then a UTF-8 message. */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

/** Encodes an ERROR payload. */
export function encodeError(code: ErrorCode, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const out = Buffer.allocUnsafe(2 + text.length);
  out.writeUInt16BE(code, 0);
  text.copy(out, 2);
  return out;
}

/** Decodes an ERROR payload (an invalid UTF-8 message is replaced, not refused). @throws BadPayloadError under 2 bytes */
export function decodeError(payload: Buffer, id = 0): ErrorPayload {
  if (payload.length < 2) throw new BadPayloadError(`ERROR payload of ${payload.length} bytes is under 2 bytes`, id);
  return { code: payload.readUInt16BE(0) as ErrorCode, message: payload.toString('utf8', 2) };
}
