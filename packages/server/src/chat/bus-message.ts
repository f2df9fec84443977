/**
 * A chat message on the bus between servers (one Redis pub/sub message per SAY). Binary, so a
 * receiver finds the room without parsing JSON and passes the CHAT payload to its members as it came:
 *
 * ```
 *  0         1         2 .. 2+O        2+O       3+O .. 3+O+R      3+O+R .. end
 * +---------+---------+---------------+---------+-----------------+-----------------------------+
 * | version | O       | origin        | R       | room            | CHAT payload                |
 * | 1       | 1..255  | O bytes ASCII | 1..64   | R bytes UTF-8   | UTF-8 JSON {room,from,text} |
 * +---------+---------+---------------+---------+-----------------+-----------------------------+
 * ```
 *
 * `origin` is the publishing server's instance id (every process of one server shares it): a server
 * skips its own messages, which its processes have already delivered among themselves.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { MAX_ROOM_NAME_BYTES } from '@sockbench/protocol';

/** Version byte of {@link encodeBusMessage}'s layout. */
export const BUS_MESSAGE_VERSION = 1;
/** Longest origin id, bytes (one length byte). */
export const MAX_ORIGIN_BYTES = 255;

/** What {@link decodeBusMessage} finds: a message of another server, one of ours, or not a chat message. */
export type BusMessage = { kind: 'chat'; room: string; payload: Buffer } | { kind: 'own' } | { kind: 'invalid'; why: string };

const OWN: BusMessage = { kind: 'own' };

/**
 * A new instance id: `<hostname>/<pid>/<8 hex>` (the host name cut to 64 characters), so that a
 * message on the bus says where it came from, and two servers never share one.
 */
export function newInstanceId(host = hostname(), pid = process.pid): string {
  return `${host.slice(0, 64)}/${pid}/${randomBytes(4).toString('hex')}`;
}

/**
 * The bus message of one SAY: `origin` (from {@link originBytes}), the room and the CHAT payload
 * that this server's members got.
 * @throws RangeError for a room of more than 64 bytes (JOIN refuses those before a SAY can name one)
 */
export function encodeBusMessage(origin: Buffer, room: string, chatPayload: Buffer): Buffer {
  const roomBytes = Buffer.byteLength(room);
  if (roomBytes === 0 || roomBytes > MAX_ROOM_NAME_BYTES) throw new RangeError(`room must be 1..${MAX_ROOM_NAME_BYTES} bytes, got ${roomBytes}`);
  const o = origin.length;
  const out = Buffer.allocUnsafe(3 + o + roomBytes + chatPayload.length);
  out[0] = BUS_MESSAGE_VERSION;
  out[1] = o;
  origin.copy(out, 2);
  out[2 + o] = roomBytes;
  out.write(room, 3 + o, 'utf8');
  chatPayload.copy(out, 3 + o + roomBytes);
  return out;
}

/**
 * `id` as the origin bytes of {@link encodeBusMessage}.
 * @throws RangeError for an empty id, one longer than 255 bytes, or one that is not ASCII
 */
export function originBytes(id: string): Buffer {
  if (!/^[\x21-\x7e]+$/.test(id) || id.length > MAX_ORIGIN_BYTES) throw new RangeError(`an origin id is 1..${MAX_ORIGIN_BYTES} printable ASCII characters, got ${JSON.stringify(id)}`);
  return Buffer.from(id, 'ascii');
}

/**
 * Reads a bus message; `own` when its origin is `self` (no room or payload is read then). The
 * payload is a view of `message`, not a copy.
 */
export function decodeBusMessage(message: Buffer, self: Buffer): BusMessage {
  if (message.length < 3) return { kind: 'invalid', why: `${message.length} bytes` };
  if (message[0] !== BUS_MESSAGE_VERSION) return { kind: 'invalid', why: `version ${message[0]}` };
  const o = message[1]!;
  if (o === 0 || 3 + o > message.length) return { kind: 'invalid', why: `origin length ${o} in ${message.length} bytes` };
  if (o === self.length && message.compare(self, 0, o, 2, 2 + o) === 0) return OWN;
  const r = message[2 + o]!;
  const roomStart = 3 + o;
  if (r === 0 || r > MAX_ROOM_NAME_BYTES || roomStart + r >= message.length) return { kind: 'invalid', why: `room length ${r} in ${message.length} bytes` };
  return { kind: 'chat', room: message.toString('utf8', roomStart, roomStart + r), payload: message.subarray(roomStart + r) };
}
