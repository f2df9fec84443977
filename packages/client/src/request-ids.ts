/** Request ids: sequential u32 per connection, wrapping from 0xFFFFFFFF back to 1; 0 is for pushes. */
import { MAX_ID } from '@sockbench/protocol';

/** The id after `id`: `id + 1`, and 1 after 0xFFFFFFFF (never 0). */
export function nextRequestId(id: number): number {
  return id >= MAX_ID ? 1 : id + 1;
}
