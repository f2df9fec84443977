/**
 * A scripted stream server for what a correct server on loopback never shows: a down/UDP sender whose
 * datagrams the test chooses (dropped, duplicated, reordered, with chosen `sentUs`), an old server
 * that answers STREAM_OPEN as servers before stream mode do, and a TCP stub that refuses a later
 * START or never answers an ATTACH. Real sockets on 127.0.0.1 port 0,
 * speaking the protocol through @sockbench/protocol's codecs.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import {
  ErrorCode,
  Flags,
  FrameDecoder,
  HEADER_SIZE,
  MessageType,
  decodeStreamBind,
  decodeStreamOpen,
  decodeStreamReportRequest,
  decodeStreamStart,
  decodeStreamValidate,
  encodeError,
  encodeFrame,
  encodeStreamChallenge,
  encodeStreamOpened,
  encodeStreamReport,
  encodeStreamStart,
  encodeStreamValidated,
  encodeWelcome,
  newStreamDataFrame,
  stampStreamData,
  type Frame,
} from '@sockbench/protocol';
import { onCleanup } from './helpers.js';

const WELCOME = encodeFrame(MessageType.WELCOME, 0, encodeWelcome({ message: 'stream peer', server: 'sockbench/test', worker: 0, maxPayload: 1 << 20, auth: false }));

/** One datagram of the script: the sequence it carries and its `sentUs`. */
export interface Scripted {
  sequence: number;
  sentUs: number;
}

/** What the peer saw. */
export interface PeerLog {
  binds: number;
  validatedAddress: string | null;
  opens: unknown[];
}

/**
 * A down/UDP stream server whose START sends `script` (in that order, one datagram each, `gapMs`
 * apart) to the validated address, and whose sender report says `sentMessages` were sent.
 */
export async function scriptedDownPeer(script: Scripted[], sentMessages: number, size = 64, gapMs = 2): Promise<{ port: number; log: PeerLog }> {
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  const udpPort = udp.address().port;
  const session = 4242;
  const key = Buffer.from('0123456789abcdef', 'hex');
  const challenge = Buffer.alloc(16, 7);
  const log: PeerLog = { binds: 0, validatedAddress: null, opens: [] };
  let peer: { address: string; port: number } | null = null;
  udp.on('message', (msg, rinfo) => {
    if (msg.length !== HEADER_SIZE + 16 || msg[5] !== MessageType.STREAM_BIND) return;
    if (!decodeStreamBind(msg.subarray(HEADER_SIZE)).equals(key)) return;
    log.binds++;
    peer = { address: rinfo.address, port: rinfo.port };
    udp.send(encodeStreamChallenge(session, challenge), rinfo.port, rinfo.address);
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write(WELCOME);
    const reply = (f: Frame, type: number, payload: Buffer): void => void socket.write(encodeFrame(type, f.id, payload, Flags.RESPONSE));
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) =>
      decoder.push(chunk, (f) => {
        switch (f.type) {
          case MessageType.STREAM_OPEN: {
            const open = decodeStreamOpen(f.payload, f.id);
            log.opens.push(open);
            reply(f, f.type, encodeStreamOpened({ session, key: key.toString('hex'), worker: 0, udpPort, size, durationMs: open.durationMs, bitrate: open.bitrate ?? null }));
            break;
          }
          case MessageType.STREAM_VALIDATE: {
            const v = decodeStreamValidate(f.payload, f.id);
            if (v.challenge !== challenge.toString('hex') || peer === null) {
              reply(f, MessageType.ERROR, encodeError(ErrorCode.BAD_PAYLOAD, `challenge does not match the one sent for stream session ${session}`));
              break;
            }
            log.validatedAddress = `${peer.address}:${peer.port}`;
            reply(f, f.type, encodeStreamValidated({ address: log.validatedAddress }));
            break;
          }
          case MessageType.STREAM_START: {
            reply(f, f.type, encodeStreamStart({ session }));
            const to = peer!;
            script.forEach((d, i) => {
              setTimeout(() => udp.send(stampStreamData(newStreamDataFrame(session, size), d.sequence, d.sentUs), to.port, to.address), i * gapMs);
            });
            break;
          }
          case MessageType.STREAM_REPORT: {
            decodeStreamReportRequest(f.payload, f.id);
            reply(f, f.type, encodeStreamReport({ role: 'sender', session, bytes: sentMessages * size, messages: sentMessages, bitsPerSec: 0, durationUs: 0 }));
            break;
          }
          default:
            reply(f, MessageType.ERROR, encodeError(ErrorCode.UNKNOWN_TYPE, `type 0x${f.type.toString(16).padStart(2, '0')} is not a request`));
        }
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => udp.close(() => r()));
  });
  return { port: (server.address() as net.AddressInfo).port, log };
}

/**
 * A server from before stream mode: WELCOME, then every request of a type it does not know answered
 * as the real server answers one (non-fatal ERROR UNKNOWN_TYPE, "type 0x0c is not a request").
 */
export async function preStreamPeer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write(WELCOME);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) =>
      decoder.push(chunk, (f) => void socket.write(encodeFrame(MessageType.ERROR, f.id, encodeError(ErrorCode.UNKNOWN_TYPE, `type 0x${f.type.toString(16).padStart(2, '0')} is not a request`), Flags.RESPONSE))),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as net.AddressInfo).port;
}

/** What {@link stubTcpStreamPeer} does. */
export interface StubPeerOptions {
  /** STREAM_STARTs answered; the ones after are refused with BUSY. Default: all answered. */
  okStarts?: number;
  /** False: a data connection's STREAM_ATTACH is never answered (the connection stays open, silent). */
  answerAttach?: boolean;
}

/** The reason the stub refuses a STREAM_START past `okStarts` with. */
export const STUB_START_REFUSED = 'stream session refused by the test peer';

/**
 * A TCP stream server scripted by the test: STREAM_OPEN granted (sessions 1, 2, … on worker 0), a
 * data connection's STREAM_ATTACH answered (or not), STREAM_DATA ignored, STREAM_START answered or
 * refused (`okStarts`), every other request refused as unknown. `firstClose` resolves once a
 * connection to it has closed.
 */
export async function stubTcpStreamPeer(opts: StubPeerOptions = {}): Promise<{ port: number; attaches: number[]; starts: number[]; firstClose: Promise<void> }> {
  let closed!: () => void;
  const firstClose = new Promise<void>((r) => (closed = r));
  const attaches: number[] = [];
  const starts: number[] = [];
  let sessions = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => closed());
    socket.write(WELCOME);
    const reply = (f: Frame, type: number, payload: Buffer): void => void socket.write(encodeFrame(type, f.id, payload, Flags.RESPONSE));
    const decoder = new FrameDecoder({ maxPayload: 1 << 20 });
    socket.on('data', (chunk: Buffer) =>
      decoder.push(chunk, (f) => {
        switch (f.type) {
          case MessageType.STREAM_OPEN: {
            const open = decodeStreamOpen(f.payload, f.id);
            reply(f, f.type, encodeStreamOpened({ session: ++sessions, key: '0123456789abcdef', worker: 0, udpPort: 0, size: open.size, durationMs: open.durationMs, bitrate: open.bitrate ?? null }));
            break;
          }
          case MessageType.STREAM_ATTACH:
            attaches.push(f.id);
            if (opts.answerAttach !== false) reply(f, f.type, Buffer.alloc(0));
            break;
          case MessageType.STREAM_DATA:
            break;
          case MessageType.STREAM_START: {
            const { session } = decodeStreamStart(f.payload, f.id);
            starts.push(session);
            if (starts.length <= (opts.okStarts ?? Number.POSITIVE_INFINITY)) reply(f, f.type, encodeStreamStart({ session }));
            else reply(f, MessageType.ERROR, encodeError(ErrorCode.BUSY, STUB_START_REFUSED));
            break;
          }
          default:
            reply(f, MessageType.ERROR, encodeError(ErrorCode.UNKNOWN_TYPE, `type 0x${f.type.toString(16).padStart(2, '0')} is not a request`));
        }
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as net.AddressInfo).port, attaches, starts, firstClose };
}
