import { describe, expect, it } from 'vitest';
import { decodeChat, encodeChat } from '@sockbench/protocol';
import { BUS_MESSAGE_VERSION, decodeBusMessage, encodeBusMessage, newInstanceId, originBytes } from './bus-message.js';

const self = originBytes('host-a/100/0a0b0c0d');
const other = originBytes('host-b/200/0a0b0c0d');
const chat = encodeChat({ room: 'hall', from: 'ana', text: 'hola' });

describe('bus messages', () => {
  it('carry the room and the CHAT payload as the members get it, byte for byte', () => {
    const m = encodeBusMessage(other, 'hall', chat);
    expect([m[0], m[1]]).toEqual([BUS_MESSAGE_VERSION, other.length]);
    expect(m.length).toBe(3 + other.length + 4 + chat.length);
    const d = decodeBusMessage(m, self);
    expect(d.kind).toBe('chat');
    if (d.kind !== 'chat') return;
    expect(d.room).toBe('hall');
    expect(Buffer.compare(d.payload, chat)).toBe(0);
    expect(decodeChat(d.payload)).toEqual({ room: 'hall', from: 'ana', text: 'hola' });
    // A view of the message, not a copy.
    expect(d.payload.buffer).toBe(m.buffer);
  });

  it('a room of 64 UTF-8 bytes (multi-byte characters) round-trips', () => {
    const room = 'ñ'.repeat(32);
    const d = decodeBusMessage(encodeBusMessage(other, room, chat), self);
    expect(d.kind === 'chat' && d.room).toBe(room);
  });

  it('the origin is how a server skips its own: same bytes → own; same length, other bytes → chat', () => {
    expect(decodeBusMessage(encodeBusMessage(self, 'hall', chat), self)).toEqual({ kind: 'own' });
    expect(self.length).toBe(other.length);
    expect(decodeBusMessage(encodeBusMessage(other, 'hall', chat), self).kind).toBe('chat');
    // A longer origin that starts with ours is somebody else.
    expect(decodeBusMessage(encodeBusMessage(originBytes('host-a/100/0a0b0c0d0'), 'hall', chat), self).kind).toBe('chat');
  });

  it.each([
    ['empty', Buffer.alloc(0), '0 bytes'],
    ['two bytes', Buffer.from([1, 1]), '2 bytes'],
    ['another version', Buffer.from([2, 1, 0x41, 1, 0x72, 0x7b]), 'version 2'],
    ['origin length 0', Buffer.from([1, 0, 1, 0x72, 0x7b]), 'origin length 0 in 5 bytes'],
    ['origin past the end', Buffer.from([1, 9, 0x41, 0x41]), 'origin length 9 in 4 bytes'],
    ['room length 0', Buffer.from([1, 1, 0x41, 0, 0x7b]), 'room length 0 in 5 bytes'],
    ['room length 65', Buffer.concat([Buffer.from([1, 1, 0x41, 65]), Buffer.alloc(70, 0x61)]), 'room length 65 in 74 bytes'],
    ['no payload after the room', Buffer.from([1, 1, 0x41, 2, 0x72, 0x72]), 'room length 2 in 6 bytes'],
  ])('%s: invalid, saying why', (_name, bytes, why) => {
    expect(decodeBusMessage(bytes, self)).toEqual({ kind: 'invalid', why });
  });

  it('encode refuses a room JOIN would refuse for its length', () => {
    expect(() => encodeBusMessage(self, '', chat)).toThrow('room must be 1..64 bytes, got 0');
    expect(() => encodeBusMessage(self, 'x'.repeat(65), chat)).toThrow('room must be 1..64 bytes, got 65');
  });

  it('origin ids are 1..255 printable ASCII characters', () => {
    expect(originBytes('a').length).toBe(1);
    expect(originBytes('x'.repeat(255)).length).toBe(255);
    for (const bad of ['', 'x'.repeat(256), 'has space', 'ñ']) {
      expect(() => originBytes(bad), bad).toThrow(`an origin id is 1..255 printable ASCII characters, got ${JSON.stringify(bad)}`);
    }
  });

  it('instance ids: host (cut to 64), pid, 8 random hex digits; two are never the same', () => {
    expect(newInstanceId('box', 42)).toMatch(/^box\/42\/[0-9a-f]{8}$/);
    expect(newInstanceId('h'.repeat(300), 1)).toMatch(new RegExp(`^h{64}/1/[0-9a-f]{8}$`));
    expect(newInstanceId('box', 42)).not.toBe(newInstanceId('box', 42));
    expect(() => originBytes(newInstanceId())).not.toThrow();
  });
});
