/**
 * Test helpers: a bare framed-protocol peer over a real socket (no client library: the server is
 * tested against the wire format itself), and a bounded wait.
 */
import { connect, createServer, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { FrameDecoder, decodeError, encodeFrame, MessageType, type Frame } from '@sockbench/protocol';

/** Waits for `cond()` to be true, polling every 10 ms, at most `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A framed-protocol peer on one TCP connection, collecting every frame the server sends. */
export class Peer {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  ended = false;
  #waiters: (() => void)[] = [];
  readonly #decoder = new FrameDecoder({ expect: 'replies', maxPayload: 16 * 1024 * 1024 });

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk, (f) => this.frames.push({ ...f, payload: Buffer.from(f.payload) }));
      this.#wake();
    });
    socket.on('error', () => undefined);
    socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', () => {
      this.ended = true;
      this.#wake();
      resolve();
    }));
  }

  /** Connects and waits for the connection (not for WELCOME). */
  static async open(port: number, host = '127.0.0.1'): Promise<Peer> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new Peer(socket);
  }

  /** Connects and consumes the WELCOME push. */
  static async welcomed(port: number): Promise<Peer> {
    const p = await Peer.open(port);
    const w = await p.next();
    if (w.type !== MessageType.WELCOME) throw new Error(`expected WELCOME, got type ${w.type}`);
    return p;
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Waits until `cond()` holds (re-checked on every chunk), bounded. */
  async until(cond: () => boolean, timeoutMs = 5_000, what = 'frames'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (have ${this.frames.length} frames)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      if (this.ended && !cond()) {
        // Give the last chunk a chance, then report.
        if (!cond()) throw new Error(`connection ended while waiting for ${what}`);
      }
    }
  }

  /** Removes and returns the next frame, waiting for it. */
  async next(timeoutMs = 5_000): Promise<Frame> {
    await this.until(() => this.frames.length > 0, timeoutMs, 'next frame');
    return this.frames.shift()!;
  }

  /** Sends one request frame. */
  send(type: number, id: number, payload?: Uint8Array, flags?: number): void {
    this.socket.write(encodeFrame(type, id, payload, flags));
  }

  /** Sends a request and waits for the frame with its id (pushes before it are kept). */
  async request(type: number, id: number, payload?: Uint8Array): Promise<Frame> {
    this.send(type, id, payload);
    return this.reply(id);
  }

  /** Waits for and removes the frame with id `id`. */
  async reply(id: number, timeoutMs = 5_000): Promise<Frame> {
    await this.until(() => this.frames.some((f) => f.id === id), timeoutMs, `reply to id ${id}`);
    const i = this.frames.findIndex((f) => f.id === id);
    return this.frames.splice(i, 1)[0]!;
  }

  /** Waits for the server to close the connection. */
  async waitClosed(timeoutMs = 5_000): Promise<void> {
    await this.until(() => this.ended, timeoutMs, 'server FIN');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * One real TCP connection on 127.0.0.1 (port 0): `socket` is the accepted (server) side, for a part
 * under test to write to; `peer` reads what it wrote. `close()` destroys both and the listener.
 */
export async function socketPair(): Promise<{ socket: Socket; peer: Peer; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const peer = await Peer.open((server.address() as { port: number }).port);
  const socket = await accepted;
  socket.on('error', () => undefined);
  return {
    socket,
    peer,
    async close() {
      socket.destroy();
      peer.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `{code, message}` of an ERROR frame, checking its type. */
export function errorOf(f: Frame): { code: number; message: string } {
  if (f.type !== MessageType.ERROR) throw new Error(`expected ERROR, got type 0x${f.type.toString(16)}`);
  return decodeError(f.payload);
}

/** A UDP socket that collects datagrams. */
export class UdpPeer {
  readonly socket: UdpSocket;
  readonly received: Buffer[] = [];

  private constructor(socket: UdpSocket) {
    this.socket = socket;
    socket.on('message', (m) => this.received.push(m));
  }

  static async open(): Promise<UdpPeer> {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    return new UdpPeer(s);
  }

  send(buf: Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(buf, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    this.socket.close();
  }
}
