/**
 * Numbers of the stream mode (docs/protocol.md, "Stream"): message sizes, the session's timers, the
 * receiver's windows and the server's default caps. Every stream module derives its checks from these.
 */

/** Who sends: `up` = the client, `down` = the server (iperf3's reverse). */
export const STREAM_DIRECTIONS = ['up', 'down'] as const;
/** One of {@link STREAM_DIRECTIONS}. */
export type StreamDirection = (typeof STREAM_DIRECTIONS)[number];

/** Where the data flows: a TCP data connection of its own, or UDP datagrams. */
export const STREAM_TRANSPORTS = ['tcp', 'udp'] as const;
/** One of {@link STREAM_TRANSPORTS}. */
export type StreamTransport = (typeof STREAM_TRANSPORTS)[number];

/** Bytes of STREAM_DATA before its padding: 12-byte header + 8-byte sequence + 8-byte `sentUs`; the smallest `size`. */
export const STREAM_DATA_MIN_SIZE = 28;

/** Largest STREAM_DATA frame, bytes: the largest UDP payload over IPv4 (65535 − 20 − 8). */
export const STREAM_DATA_MAX_SIZE = 65_507;

/** Bytes of a session key (STREAM_OPEN reply `key`, 16 hex digits; the first 8 bytes of a STREAM_BIND). */
export const STREAM_KEY_BYTES = 8;

/** Bytes of a STREAM_BIND payload (key + 8 zero bytes) and of its reply's challenge: the reply is never larger. */
export const STREAM_BIND_PAYLOAD_BYTES = 16;

/** Bytes of an address-validation challenge (STREAM_VALIDATE `challenge`: 32 hex digits). */
export const STREAM_CHALLENGE_BYTES = 16;

/** STREAM_BINDs answered per session at most; later ones are dropped and counted. */
export const STREAM_MAX_BINDS = 8;

/** A session not started within this of its open ends, ms. */
export const STREAM_START_TIMEOUT_MS = 10_000;

/** A started session with no STREAM_REPORT within `durationMs` + this ends, ms. */
export const STREAM_REPORT_GRACE_MS = 10_000;

/** The receiver's wait for stragglers ends after this long with no data message, ms (iperf3 #698). */
export const STREAM_STRAGGLER_QUIET_MS = 250;

/** The receiver's wait for stragglers lasts at most this, ms. */
export const STREAM_STRAGGLER_MAX_MS = 2_000;

/** Ended sessions a process remembers (so their data is "closed", not "unknown"). */
export const STREAM_CLOSED_MEMORY = 1024;

/** Sequences behind the highest within which a duplicate is recognised (a bitmap of this many bits). */
export const STREAM_DUPLICATE_WINDOW = 65_536;

/**
 * Most a sequence may be above the highest counted (above −1 for the first): a receiver refuses a
 * farther jump (2^26 messages: 15 s of 28-byte messages at 1 Gbit/s), which no real loss causes and
 * which would make `lost` nonsense. Sequences above 2^53 − 1 are refused as well.
 */
export const STREAM_MAX_SEQUENCE_JUMP = 2 ** 26;

/** Per-second receiver intervals kept at most (one hour). */
export const STREAM_MAX_INTERVALS = 3600;

/** Default `--max-streams`: sessions open at once per server process. */
export const DEFAULT_MAX_STREAMS = 16;

/** Default `--max-streams-per-connection`: sessions open at once that one control connection opened. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 8;

/** Default `--max-stream-bitrate`, bit/s (1 Gbit/s = 10^9 bit/s). */
export const DEFAULT_MAX_STREAM_BITRATE = 1_000_000_000;

/** Default `--max-stream-duration`, ms (60 s). */
export const DEFAULT_MAX_STREAM_DURATION_MS = 60_000;
