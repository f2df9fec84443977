/**
 * A UDP stream datagram (STREAM_DATA or STREAM_BIND) on any socket that serves them: the framed
 * UDP endpoint, or a session's own socket in a cluster. Never answered but a BIND's challenge; every
 * other outcome that is not a counted message is a drop, counted in `udp.dropped` (as BAD_PAYLOAD, or
 * the frame check's own code) and in STATS `stream.datagramsDropped`.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { ErrorCode, MessageType, ProtocolError, decodeDatagram, type DatagramOptions } from '@sockbench/protocol';
import type { ProcessContext } from '../context.js';
import { udpRecvBufferAsk } from '../options.js';
import type { DatagramOut } from './sender.js';

/** True when the datagram's type byte names a stream datagram (the header is checked later). */
export function isStreamDatagram(msg: Buffer): boolean {
  return msg.length >= 12 && (msg[5] === MessageType.STREAM_DATA || msg[5] === MessageType.STREAM_BIND);
}

/** What became of one stream datagram: served (counted or answered), or dropped with this code. */
export type StreamDatagramResult = { served: true; answered: boolean } | { served: false; code: ErrorCode };

/** Serves one stream datagram; the caller counts a drop (`countUdpDrop` and its peer table). */
export function serveStreamDatagram(ctx: ProcessContext, msg: Buffer, from: RemoteInfo, out: DatagramOut, options: DatagramOptions): StreamDatagramResult {
  let frame;
  try {
    frame = decodeDatagram(msg, options);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { served: false, code: err.errorCode };
  }
  const outcome = ctx.streams.datagram(frame.type, frame.id, frame.payload, from, out);
  if (outcome === 'received') return { served: true, answered: false };
  if (outcome === 'answered') return { served: true, answered: true };
  return { served: false, code: ErrorCode.BAD_PAYLOAD };
}

/**
 * A UDP socket of one session's own (a cluster worker's, docs/protocol.md "Stream in a cluster"):
 * bound exclusively on the server's address and a free port, so every datagram to it reaches the
 * process holding the session. It gets `--udp-recv-buffer` as the server's socket does; a socket
 * whose bind fails is closed, and the promise rejects.
 */
export async function openSessionSocket(ctx: ProcessContext, options: DatagramOptions): Promise<{ port: number; out: DatagramOut; close: () => void }> {
  const socket = createSocket(isIPv6(ctx.options.host) ? 'udp6' : 'udp4');
  const c = ctx.counters;
  const onSent = (err: Error | null): void => {
    if (err !== null) c.countSocketError((err as NodeJS.ErrnoException).code ?? 'UNKNOWN');
  };
  let closed = false;
  const out: DatagramOut = (datagram, port, address, sent) => {
    if (closed) return sent?.();
    socket.send(datagram, port, address, sent === undefined ? onSent : (err) => {
      onSent(err);
      sent();
    });
    c.udpOut++;
  };
  socket.on('error', (err: NodeJS.ErrnoException) => c.countSocketError(err.code ?? 'UNKNOWN'));
  socket.on('message', (msg, rinfo) => {
    c.udpIn++;
    const result = isStreamDatagram(msg) ? serveStreamDatagram(ctx, msg, rinfo, out, options) : ({ served: false, code: ErrorCode.UNSUPPORTED } as const);
    if (!result.served) c.countUdpDrop(result.code);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: ctx.options.host, port: 0, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.setRecvBufferSize(udpRecvBufferAsk(ctx.options));
  } catch (err) {
    closed = true;
    socket.close();
    throw err;
  }
  return {
    port: socket.address().port,
    out,
    close: () => {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}
