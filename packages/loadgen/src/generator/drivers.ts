/**
 * Transport drivers: the only code that touches sockets. A driver sends request `id` and reports each
 * reply by id with its receive time; the load loop (load-loop.ts) does all timing and counting.
 *
 * - `tcp` / `udp`: the sockbench protocol through `@sockbench/client`'s frame channels.
 * - `raw-tcp`: `size`-byte messages on a plain stream; an echo server answers in order, so the reply
 *   to the oldest outstanding request is complete each time another `size` bytes came back.
 * - `raw-udp`: one `size`-byte datagram per request whose first 4 bytes carry the id (big-endian), so
 *   replies match by id even when datagrams are lost or reordered.
 */
import type { LoadPlan } from '../options.js';
import type { DriverFactory } from './driver-types.js';
import { frameDriver } from './frame-driver.js';
import { rawTcpDriver, rawUdpDriver } from './raw-drivers.js';

export { BAD_REPLY, CONNECTION_CLOSED, requestPayload, type Driver, type DriverFactory, type ReplySink } from './driver-types.js';
export { undecodableKind } from './frame-driver.js';

/** The driver factory of a plan's transport. */
export function driverFactory(plan: LoadPlan, token: string | null): DriverFactory {
  switch (plan.transport) {
    case 'tcp':
    case 'udp':
      return frameDriver(plan, token);
    case 'raw-tcp':
      return rawTcpDriver(plan);
    case 'raw-udp':
      return rawUdpDriver(plan);
  }
}
