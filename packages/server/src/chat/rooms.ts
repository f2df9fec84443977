/**
 * Chat rooms of one process: room name → members on this process. Membership stays local; a SAY is
 * delivered here and relayed to the other processes (cluster/), each of which delivers to its own
 * members, so a JOIN reply guarantees every later SAY on any process reaches the member.
 */

/** A room member: something a CHAT push can be written to. */
export interface RoomMember {
  /** Writes one CHAT push (id 0) with this pre-encoded payload. */
  pushChat(payload: Buffer): void;
}

/** Rooms of one process. */
export class Rooms {
  readonly #rooms = new Map<string, Set<RoomMember>>();

  /** Adds `member` to `room` (idempotent). */
  join(room: string, member: RoomMember): void {
    let set = this.#rooms.get(room);
    if (set === undefined) {
      set = new Set();
      this.#rooms.set(room, set);
    }
    set.add(member);
  }

  /** Removes `member` from `room`; false when it was not a member. */
  leave(room: string, member: RoomMember): boolean {
    const set = this.#rooms.get(room);
    if (set === undefined || !set.delete(member)) return false;
    if (set.size === 0) this.#rooms.delete(room);
    return true;
  }

  /** Pushes `payload` to every member of `room` on this process except `except`; returns how many. */
  deliver(room: string, payload: Buffer, except: RoomMember | null): number {
    const set = this.#rooms.get(room);
    if (set === undefined) return 0;
    let n = 0;
    for (const m of set) {
      if (m !== except) {
        m.pushChat(payload);
        n++;
      }
    }
    return n;
  }
}
