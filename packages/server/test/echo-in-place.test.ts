/**
 * ECHO replies written over their requests in the received chunk (ReplyWriter.replyInPlace): the
 * bytes on the wire must be exactly those of encodeFrame(ECHO, id, payload, RESPONSE), in order,
 * whether a frame lies inside one chunk, spans chunks, is empty, is over COPY_LIMIT, or sits
 * between other requests.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Flags, HEADER_SIZE, MessageType, encodeFrame } from '@sockbench/protocol';
import { createServer, type Server } from '../src/index.js';
import { COPY_LIMIT } from '../src/tcp/reply-writer.js';
import { waitFor } from './helpers.js';

/** A raw connection collecting every byte the server sends after its WELCOME. */
async function rawPeer(port: number): Promise<{ socket: Socket; bytes: () => Buffer }> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.setNoDelay(true);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  await waitFor(() => Buffer.concat(chunks).length >= HEADER_SIZE, 5_000, 'WELCOME header');
  const welcomeBytes = HEADER_SIZE + Buffer.concat(chunks).readUInt32BE(0);
  await waitFor(() => Buffer.concat(chunks).length >= welcomeBytes, 5_000, 'WELCOME');
  return { socket, bytes: () => Buffer.concat(chunks).subarray(welcomeBytes) };
}

const reply = (type: number, id: number, payload?: Buffer): Buffer => encodeFrame(type, id, payload, Flags.RESPONSE);

describe('ECHO replies in place', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ host: '127.0.0.1', port: 0, threads: 1 });
    port = (await server.listen()).tcp.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it('a pipelined chunk of ECHOs of every size, PINGs between them: the exact bytes encodeFrame gives, in order', async () => {
    const p = await rawPeer(port);
    const sizes = [1, 64, 0, 1024, 7, COPY_LIMIT, COPY_LIMIT + 1, 3];
    const requests: Buffer[] = [];
    const replies: Buffer[] = [];
    sizes.forEach((n, i) => {
      const payload = Buffer.alloc(n, 0x41 + i);
      requests.push(encodeFrame(MessageType.ECHO, 2 * i + 1, payload));
      replies.push(reply(MessageType.ECHO, 2 * i + 1, payload));
      if (i % 3 === 0) {
        requests.push(encodeFrame(MessageType.PING, 2 * i + 2));
        replies.push(reply(MessageType.PING, 2 * i + 2));
      }
    });
    const expected = Buffer.concat(replies);
    p.socket.write(Buffer.concat(requests));
    await waitFor(() => p.bytes().length >= expected.length, 5_000, 'every reply');
    expect(p.bytes().equals(expected)).toBe(true);
    p.socket.destroy();
  });

  it('ECHOs cut across writes at every offset of a frame: the same bytes as whole frames', async () => {
    const p = await rawPeer(port);
    const frames = Array.from({ length: 6 }, (_, i) => Buffer.alloc(20 + i, 0x61 + i));
    const stream = Buffer.concat(frames.map((f, i) => encodeFrame(MessageType.ECHO, i + 1, f)));
    const expected = Buffer.concat(frames.map((f, i) => reply(MessageType.ECHO, i + 1, f)));
    // Cut points inside headers and payloads alike; each piece arrives as its own chunk.
    const cuts = [5, 12, 33, 40, 41, 70, 100, stream.length];
    let from = 0;
    for (const to of cuts) {
      p.socket.write(stream.subarray(from, to));
      from = to;
      await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor(() => p.bytes().length >= expected.length, 5_000, 'every reply');
    expect(p.bytes().equals(expected)).toBe(true);
    p.socket.destroy();
  });
});
