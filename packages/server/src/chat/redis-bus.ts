/**
 * The chat bus between servers over Redis pub/sub (ioredis; `--redis`; docs/protocol.md, "Chat
 * across servers"). One process holds two connections: a publisher, and a subscriber to the one
 * channel that carries every room (so a JOIN needs no round trip to Redis). Bounds:
 *
 * - nothing waits for a connection: ioredis's offline queue is off, and a SAY said while the
 *   publisher is not up is counted `dropped`, not queued;
 * - at most `maxInFlight` PUBLISHes await Redis's answer; past it a SAY is `dropped`;
 * - a PUBLISH in flight when the connection closes is rejected at once (`maxRetriesPerRequest: 0`,
 *   no resend after reconnecting) and counted `failed`.
 *
 * Lost connections are retried with {@link busRetryDelayMs}; the state change is logged once
 * (`chat bus down`, then `chat bus back`), each failed attempt only at debug level.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { BusState, BusStats } from '@sockbench/protocol';
import type { Logger } from 'pino';
import { decodeBusMessage, encodeBusMessage, originBytes } from './bus-message.js';
import type { RedisTarget } from './redis-url.js';

/** Most PUBLISHes per process awaiting Redis's answer; past it a SAY is dropped (counted). */
export const BUS_MAX_IN_FLIGHT = 1024;
/** First reconnection delay, ms; doubles per failed attempt up to {@link BUS_RETRY_MAX_MS}. */
export const BUS_RETRY_BASE_MS = 50;
/** Longest reconnection delay, ms. */
export const BUS_RETRY_MAX_MS = 2_000;
/** How long a closing bus waits for Redis to answer the PUBLISHes in flight, ms. */
const QUIT_WAIT_MS = 1_000;

/** What a process without a bus reports. */
export const BUS_OFF: Readonly<BusStats> = Object.freeze({ state: 'off', published: 0, received: 0, failed: 0, dropped: 0, invalid: 0 });

/**
 * Delay before reconnection attempt `attempt` (1-based, as ioredis's retryStrategy counts): 50 ms,
 * 100, 200, … doubling, at most 2 s, ms. ioredis resets the count once connected.
 */
export function busRetryDelayMs(attempt: number): number {
  return Math.min(BUS_RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1), BUS_RETRY_MAX_MS);
}

/** Options of {@link RedisBus}. */
export interface RedisBusOptions {
  target: RedisTarget;
  /** This server's instance id (shared by its processes): its own messages are skipped. */
  origin: string;
  logger: Logger;
  /** Pushes a CHAT payload from another server to this process's members of `room`. */
  deliver(room: string, payload: Buffer): void;
  /** Bound of PUBLISHes awaiting an answer. Default {@link BUS_MAX_IN_FLIGHT}. */
  maxInFlight?: number;
  /** Reconnection delay per attempt, ms. Default {@link busRetryDelayMs}. */
  retryDelayMs?: (attempt: number) => number;
}

/** One process's end of the chat bus. Connects on {@link RedisBus.start}. */
export class RedisBus {
  readonly #target: RedisTarget;
  readonly #origin: Buffer;
  readonly #logger: Logger;
  readonly #deliver: (room: string, payload: Buffer) => void;
  readonly #maxInFlight: number;
  readonly #retry: (attempt: number) => number;
  #pub: Redis | null = null;
  #sub: Redis | null = null;
  #pubUp = false;
  #subUp = false;
  /** Bumped on every subscriber close, so a SUBSCRIBE answered for an older connection is ignored. */
  #subEpoch = 0;
  #everConnected = false;
  #closed = false;
  #state: BusState = 'connecting';
  #downSince = 0;
  #lastError: string | undefined;
  #loggedInvalid = false;
  #inFlight = 0;
  #published = 0;
  #received = 0;
  #failed = 0;
  #dropped = 0;
  #invalid = 0;
  /** Waiters of {@link RedisBus.start}: true once connected, false when closed first. */
  #onConnected: ((connected: boolean) => void)[] = [];
  readonly #settled = (): void => {
    this.#inFlight--;
    this.#published++;
  };
  readonly #rejected = (err: unknown): void => {
    this.#inFlight--;
    this.#failed++;
    this.#lastError = err instanceof Error ? err.message : String(err);
  };

  /** @throws RangeError when `origin` is not 1..255 printable ASCII characters */
  constructor(options: RedisBusOptions) {
    this.#target = options.target;
    this.#origin = originBytes(options.origin);
    this.#logger = options.logger;
    this.#deliver = options.deliver;
    this.#maxInFlight = options.maxInFlight ?? BUS_MAX_IN_FLIGHT;
    this.#retry = options.retryDelayMs ?? busRetryDelayMs;
  }

  /** off (closed), connecting (never connected yet), connected (publisher up and subscribed), down. */
  get state(): BusState {
    return this.#closed ? 'off' : this.#state;
  }

  /** This process's counts and state. */
  stats(): BusStats {
    return { state: this.state, published: this.#published, received: this.#received, failed: this.#failed, dropped: this.#dropped, invalid: this.#invalid };
  }

  /**
   * Opens both connections and subscribes; resolves true once connected, or false after `waitMs`
   * (it keeps trying in the background, with backoff) or when closed first. Called once.
   */
  start(waitMs: number): Promise<boolean> {
    const t = this.#target;
    const options: RedisOptions = {
      host: t.host,
      port: t.port,
      username: t.username,
      password: t.password,
      connectionName: `sockbench:${this.#origin.toString('ascii')}`,
      enableOfflineQueue: false,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => this.#retry(attempt),
    };
    const pub = new Redis(options);
    const sub = new Redis(options);
    this.#pub = pub;
    this.#sub = sub;
    const onError = (err: Error): void => {
      this.#lastError = err.message;
      this.#logger.debug({ err: err.message, redis: t.display }, 'chat bus connection error');
    };
    pub.on('error', onError);
    sub.on('error', onError);
    pub.on('ready', () => {
      this.#pubUp = true;
      this.#update();
    });
    pub.on('close', () => {
      this.#pubUp = false;
      this.#update();
    });
    sub.on('ready', () => {
      const epoch = this.#subEpoch;
      sub.subscribe(t.channel).then(
        () => {
          if (epoch !== this.#subEpoch) return;
          this.#subUp = true;
          this.#update();
        },
        (err: unknown) => onError(err instanceof Error ? err : new Error(String(err))),
      );
    });
    sub.on('close', () => {
      this.#subEpoch++;
      this.#subUp = false;
      this.#update();
    });
    sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.#onMessage(message));
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#onConnected = this.#onConnected.filter((f) => f !== done);
        resolve(false);
      }, waitMs);
      const done = (connected: boolean): void => {
        clearTimeout(timer);
        resolve(connected);
      };
      this.#onConnected.push(done);
    });
  }

  /**
   * Publishes one SAY (its CHAT payload, as this server's members got it) unless the publisher is
   * not up or {@link BUS_MAX_IN_FLIGHT} publishes await an answer (then it is counted `dropped`).
   */
  publish(room: string, chatPayload: Buffer): void {
    if (!this.#pubUp || this.#inFlight >= this.#maxInFlight) {
      this.#dropped++;
      return;
    }
    this.#inFlight++;
    this.#pub!.publish(this.#target.channel, encodeBusMessage(this.#origin, room, chatPayload)).then(this.#settled, this.#rejected);
  }

  /** Closes both connections (waiting at most 1 s for the PUBLISHes in flight). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const f of this.#onConnected) f(false);
    this.#onConnected = [];
    this.#sub?.disconnect();
    const pub = this.#pub;
    if (pub === null) return;
    if (this.#pubUp) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([pub.quit().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, QUIT_WAIT_MS)))]);
      clearTimeout(timer);
    }
    pub.disconnect();
  }

  #onMessage(message: Buffer): void {
    const m = decodeBusMessage(message, this.#origin);
    if (m.kind === 'own') return;
    if (m.kind === 'invalid') {
      this.#invalid++;
      // Once: a stranger publishing on the channel could otherwise fill the log.
      if (!this.#loggedInvalid) {
        this.#loggedInvalid = true;
        this.#logger.warn({ channel: this.#target.channel, why: m.why }, 'not a chat message on the bus channel: skipped (counted in STATS bus.invalid; logged once)');
      }
      return;
    }
    this.#received++;
    this.#deliver(m.room, m.payload);
  }

  #update(): void {
    if (this.#closed) return;
    const next: BusState = this.#pubUp && this.#subUp ? 'connected' : this.#everConnected ? 'down' : 'connecting';
    if (next === this.#state) return;
    this.#state = next;
    const redis = this.#target.display;
    if (next === 'connected') {
      if (this.#everConnected) this.#logger.info({ redis, downMs: Date.now() - this.#downSince }, 'chat bus back');
      else this.#logger.info({ redis, channel: this.#target.channel }, 'chat bus connected');
      this.#everConnected = true;
      for (const f of this.#onConnected) f(true);
      this.#onConnected = [];
    } else if (next === 'down') {
      this.#downSince = Date.now();
      this.#logger.warn({ redis, err: this.#lastError }, 'chat bus down: SAY reaches this server\'s members only until it is back; reconnecting with backoff');
    }
  }
}
