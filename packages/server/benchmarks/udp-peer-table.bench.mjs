#!/usr/bin/env node
// Cost per datagram of the per-peer UDP table (src/udp/peer-table.ts) on the UDP hot path, against no
// table and against a single Map keyed by an `address:port` string. Each datagram's address is a
// fresh string, as Node's rinfo.address is (so no variant gets a cached string hash for free).
// Peers round-robin (the load generator's sockets interleave); `1 peer` is one socket's burst.
// Usage: node packages/server/benchmarks/udp-peer-table.bench.mjs [datagrams=2000000] [rounds=7]
// Needs a build: npx nx run @sockbench/server:build
import { PeerTable } from '../dist/udp/peer-table.js';

const N = Number(process.argv[2] ?? 2_000_000);
const ROUNDS = Number(process.argv[3] ?? 7);

/** The same LRU, keyed by one string `address:port` (a concatenation per datagram). */
class StringKeyTable {
  #map = new Map();
  #cap;
  #head = null;
  #tail = null;
  constructor(cap) {
    this.#cap = cap;
  }
  seen(address, port) {
    const key = address + ':' + port;
    let p = this.#map.get(key);
    if (p === undefined) {
      if (this.#map.size === this.#cap) {
        const old = this.#tail;
        this.#unlink(old);
        this.#map.delete(old.key);
      }
      p = { key, received: 0, answered: 0, prev: null, next: null };
      this.#map.set(key, p);
      this.#push(p);
    } else if (p !== this.#head) {
      this.#unlink(p);
      this.#push(p);
    }
    p.received++;
    return p;
  }
  #push(p) {
    p.prev = null;
    p.next = this.#head;
    if (this.#head !== null) this.#head.prev = p;
    this.#head = p;
    if (this.#tail === null) this.#tail = p;
  }
  #unlink(p) {
    if (p.prev !== null) p.prev.next = p.next;
    else this.#head = p.next;
    if (p.next !== null) p.next.prev = p.prev;
    else this.#tail = p.prev;
  }
}

/** IPv4 `a.b.c.d` and a port as one number below 2^48; -1 for anything else (IPv6). */
function ipv4Key(address, port) {
  let ip = 0;
  let part = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      ip = ip * 256 + part;
      part = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
    } else return -1;
  }
  return dots === 3 ? (ip * 256 + part) * 65536 + port : -1;
}

/** The same LRU keyed by one number for IPv4 (a string for IPv6, not exercised here). */
class NumberKeyTable {
  #map = new Map();
  #cap;
  #head = null;
  #tail = null;
  constructor(cap) {
    this.#cap = cap;
  }
  seen(address, port) {
    const n = ipv4Key(address, port);
    const key = n >= 0 ? n : `[${address}]:${port}`;
    let p = this.#map.get(key);
    if (p === undefined) {
      if (this.#map.size === this.#cap) {
        const old = this.#tail;
        this.#unlink(old);
        this.#map.delete(old.key);
      }
      p = { key, address, port, received: 0, answered: 0, prev: null, next: null };
      this.#map.set(key, p);
      this.#push(p);
    } else if (p !== this.#head) {
      this.#unlink(p);
      this.#push(p);
    }
    p.received++;
    return p;
  }
  #push(p) {
    p.prev = null;
    p.next = this.#head;
    if (this.#head !== null) this.#head.prev = p;
    this.#head = p;
    if (this.#tail === null) this.#tail = p;
  }
  #unlink(p) {
    if (p.prev !== null) p.prev.next = p.next;
    else this.#head = p.next;
    if (p.next !== null) p.next.prev = p.prev;
    else this.#tail = p.prev;
  }
}

/** The same LRU keyed by (small id of the address string) × 65536 + port: a Smi while ids stay under 2^15. */
class IdKeyTable {
  #ids = new Map();
  #free = [];
  #nextId = 0;
  #map = new Map();
  #cap;
  #head = null;
  #tail = null;
  constructor(cap) {
    this.#cap = cap;
  }
  seen(address, port) {
    let a = this.#ids.get(address);
    let p = a === undefined ? undefined : this.#map.get(a.id * 65536 + port);
    if (p === undefined) {
      if (this.#map.size === this.#cap) {
        const old = this.#tail;
        this.#unlink(old);
        this.#map.delete(old.key);
        if (--old.addr.refs === 0) {
          this.#ids.delete(old.addr.address);
          this.#free.push(old.addr.id);
        }
      }
      if (a === undefined) {
        a = { address, id: this.#free.length > 0 ? this.#free.pop() : this.#nextId++, refs: 0 };
        this.#ids.set(address, a);
      }
      a.refs++;
      const key = a.id * 65536 + port;
      p = { key, addr: a, port, received: 0, answered: 0, prev: null, next: null };
      this.#map.set(key, p);
      this.#push(p);
    } else if (p !== this.#head) {
      this.#unlink(p);
      this.#push(p);
    }
    p.received++;
    return p;
  }
  #push(p) {
    p.prev = null;
    p.next = this.#head;
    if (this.#head !== null) this.#head.prev = p;
    this.#head = p;
    if (this.#tail === null) this.#tail = p;
  }
  #unlink(p) {
    if (p.prev !== null) p.prev.next = p.next;
    else this.#head = p.next;
    if (p.next !== null) p.next.prev = p.prev;
    else this.#tail = p.prev;
  }
}

/** What the endpoint does per datagram without a table: count it. */
class NoTable {
  received = 0;
  seen() {
    this.received++;
    return null;
  }
}

function freshAddresses(peers) {
  // Template literals with a runtime part build new, non-internalized strings, as rinfo.address is.
  const out = new Array(N);
  for (let i = 0; i < N; i++) out[i] = `127.0.${(i % peers) >> 8}.${(i % peers) & 255}`;
  return out;
}

function once(make, peers) {
  const table = make();
  const addrs = freshAddresses(peers);
  const t0 = process.hrtime.bigint();
  let answered = 0;
  for (let i = 0; i < N; i++) {
    const p = table.seen(addrs[i], 40000 + (i % peers));
    if (p !== null) p.answered++;
    else answered++;
  }
  const ns = Number(process.hrtime.bigint() - t0) / N;
  if (answered < 0) throw new Error('unreachable');
  return ns;
}

const variants = [
  ['no table (counter only)', () => new NoTable()],
  ['PeerTable: Map<address, Map<port>> (the one used)', () => new PeerTable(4096)],
  ['one Map keyed "address:port"', () => new StringKeyTable(4096)],
  ['one Map keyed by a number (IPv4 × 65536 + port)', () => new NumberKeyTable(4096)],
  ['address → small id, one Map keyed id × 65536 + port', () => new IdKeyTable(4096)],
];
const rows = [];
for (const peers of [1, 16, 1024, 8192]) {
  for (const [name, make] of variants) {
    const samples = [];
    for (let r = 0; r < ROUNDS; r++) samples.push(once(make, peers));
    samples.sort((a, b) => a - b);
    rows.push({ peers, variant: name, 'ns/datagram (median)': samples[ROUNDS >> 1].toFixed(1), 'min': samples[0].toFixed(1) });
  }
}
console.log(`node ${process.version}, ${N} datagrams per round, ${ROUNDS} rounds, capacity 4096 (8192 peers: every datagram evicts)`);
console.table(rows);
