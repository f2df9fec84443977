/** What the server says when the kernel granted its UDP socket less receive buffer than it asked. */
import type { Logger } from 'pino';
import { udpRecvBufferAsk, type FilledOptions } from '../options.js';

/**
 * Logs when `reportedBytes` (SO_RCVBUF as the kernel reports it) is less than asked: a warning when
 * `--udp-recv-buffer` was given, info for the default ask. Linux grants at most net.core.rmem_max and
 * reports double what it granted (socket(7)).
 */
export function logRecvBufferShortfall(logger: Logger, o: Pick<FilledOptions, 'udpRecvBuffer'>, reportedBytes: number): void {
  const asked = udpRecvBufferAsk(o);
  if (reportedBytes >= (process.platform === 'linux' ? 2 * asked : asked)) return;
  logger[o.udpRecvBuffer === undefined ? 'info' : 'warn'](
    { askedBytes: asked, reportedBytes },
    'UDP receive buffer smaller than asked: raise net.core.rmem_max (sysctl) to get it',
  );
}
