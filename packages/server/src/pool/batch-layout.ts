/**
 * The bytes of one batch of light requests (PING, ECHO) as it crosses to a pool thread and back: one
 * ArrayBuffer, transferred both ways (never copied by postMessage), read and written in place.
 *
 *   offset 0        4                  4 + 8 + n₀
 *          ┌────────┬──────┬───┬──────┬─────────┬──────┬───┬──────┬─────────┬─ ─ ─
 *          │ count  │ kind │ 0 │ n₀   │ bytes₀  │ kind │ 0 │ n₁   │ bytes₁  │ …
 *          │ u32 LE │ u8   │×3 │u32 LE│ n₀ B    │ u8   │×3 │u32 LE│ n₁ B    │
 *          └────────┴──────┴───┴──────┴─────────┴──────┴───┴──────┴─────────┴─ ─ ─
 *            header   └──── record 0 ───────────┘└──── record 1 ───────────┘
 *
 * A PING record has n = 0. An ECHO's reply is its request bytes, so the thread answers the whole
 * batch in place and sends the same buffer back: reply i is bytesᵢ at the offset the main thread
 * wrote it at. COMPUTE is not batched (see thread-pool.ts), so no record's reply is larger than its request.
 */

/** Work kinds a thread runs (numbers, so the records stay small). */
export const TaskKind = { PING: 0, ECHO: 1, COMPUTE: 2 } as const;

/** Bytes before the first record: the record count, u32 little-endian. */
export const BATCH_HEADER_BYTES = 4;

/** Bytes before each record's data: kind (u8), 3 zero bytes, data length (u32 little-endian). */
export const RECORD_HEADER_BYTES = 8;
