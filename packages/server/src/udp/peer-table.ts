/**
 * The per-peer UDP table (docs/protocol.md, "STATS query"): datagrams received, replies sent and
 * drops by reason, per source address, in a table of bounded size that evicts the least recently
 * seen peer. Per datagram it costs two Map lookups by (address string, port number), a few counter
 * increments and, when the peer is not already the most recent, six pointer writes; no allocation
 * unless the peer is new (benchmarks/udp-peer-table.bench.mjs measures it against other keyings).
 *
 * ```
 *  byAddress: Map<address, Map<port, Peer>>       recency: a doubly linked list through the entries
 *
 *   "127.0.0.1" ─► { 5000 ─► A, 5001 ─► B }        head (most recent) A ⇄ C ⇄ B tail (evicted next)
 *   "::1"       ─► { 6000 ─► C }
 * ```
 */
import { ErrorCode, errorCodeName, formatPeerAddress, parsePeerAddress, type PeerCounts, type PeerTableStats } from '@sockbench/protocol';

/** Highest {@link ErrorCode} value, so drops are counted in a small array indexed by code. */
const MAX_CODE = Math.max(...Object.values(ErrorCode).filter((v): v is number => typeof v === 'number'));

/** One peer's counters and its place in the recency list. */
export class Peer {
  readonly address: string;
  readonly port: number;
  /** Datagrams received from this peer (served or dropped). */
  received = 0;
  /** Replies sent to it. */
  answered = 0;
  /** Drops by {@link ErrorCode}, indexed by code; null until the first drop. */
  dropped: number[] | null = null;
  prev: Peer | null = null;
  next: Peer | null = null;

  constructor(address: string, port: number) {
    this.address = address;
    this.port = port;
  }

  /** Counts one dropped datagram under `code`. */
  drop(code: ErrorCode): void {
    const d = (this.dropped ??= new Array<number>(MAX_CODE + 1).fill(0));
    d[code] = (d[code] ?? 0) + 1;
  }

  /** These counters as STATS carries them (`dropped` by error-code name, only non-zero ones). */
  counts(): PeerCounts {
    const dropped: Record<string, number> = {};
    if (this.dropped !== null) {
      for (let code = 0; code < this.dropped.length; code++) {
        const n = this.dropped[code]!;
        if (n > 0) dropped[errorCodeName(code)] = n;
      }
    }
    return { received: this.received, answered: this.answered, dropped };
  }
}

/** Bounded LRU table of {@link Peer}s, one per process. */
export class PeerTable {
  readonly #capacity: number;
  readonly #byAddress = new Map<string, Map<number, Peer>>();
  #size = 0;
  #evicted = 0;
  #head: Peer | null = null;
  #tail: Peer | null = null;

  /** @param capacity most peers held (entries); 0 turns the table off ({@link seen} returns null) */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /**
   * The entry of the peer a datagram came from, made the most recent, its `received` counted;
   * created (evicting the least recent when full) if new. Null when the table is off.
   */
  seen(address: string, port: number): Peer | null {
    if (this.#capacity === 0) return null;
    let ports = this.#byAddress.get(address);
    let peer = ports?.get(port);
    if (peer === undefined) {
      // A full table under a flood of new sources evicts on every datagram: the evicted address's
      // emptied port map is reused rather than a new Map allocated per datagram.
      const spare = this.#size === this.#capacity ? this.#evictTail() : undefined;
      if (ports === undefined) {
        ports = spare ?? new Map<number, Peer>();
        this.#byAddress.set(address, ports);
      }
      peer = new Peer(address, port);
      ports.set(port, peer);
      this.#size++;
      this.#pushHead(peer);
    } else if (peer !== this.#head) {
      this.#unlink(peer);
      this.#pushHead(peer);
    }
    peer.received++;
    return peer;
  }

  /** The peers of `addresses` held now, by the address as written (`ip:port`); others are left out. */
  lookup(addresses: readonly string[]): Record<string, PeerCounts> {
    const out: Record<string, PeerCounts> = {};
    for (const text of addresses) {
      const a = parsePeerAddress(text);
      const peer = a === undefined ? undefined : this.#byAddress.get(a.address)?.get(a.port);
      if (peer !== undefined) out[formatPeerAddress(peer.address, peer.port)] = peer.counts();
    }
    return out;
  }

  /** Entries held, capacity and evictions so far. */
  stats(): PeerTableStats {
    return { size: this.#size, capacity: this.#capacity, evicted: this.#evicted };
  }

  #pushHead(peer: Peer): void {
    peer.prev = null;
    peer.next = this.#head;
    if (this.#head !== null) this.#head.prev = peer;
    this.#head = peer;
    if (this.#tail === null) this.#tail = peer;
  }

  #unlink(peer: Peer): void {
    if (peer.prev !== null) peer.prev.next = peer.next;
    else this.#head = peer.next;
    if (peer.next !== null) peer.next.prev = peer.prev;
    else this.#tail = peer.prev;
    peer.prev = null;
    peer.next = null;
  }

  /** Evicts the least recent peer; returns its address's port map when that became empty. */
  #evictTail(): Map<number, Peer> | undefined {
    const old = this.#tail!;
    this.#unlink(old);
    const ports = this.#byAddress.get(old.address)!;
    ports.delete(old.port);
    this.#size--;
    this.#evicted++;
    if (ports.size !== 0) return undefined;
    this.#byAddress.delete(old.address);
    return ports;
  }
}
