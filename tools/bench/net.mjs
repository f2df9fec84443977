// Loopback helpers: free ports (TCP and UDP alike), waiting for a listener, and RSS from /proc.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** Every address the bench uses; nothing leaves the machine. */
export const HOST = '127.0.0.1';

function tryPort(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, HOST, () => {
      const p = srv.address().port;
      const udp = createSocket('udp4');
      udp.once('error', () => {
        udp.close();
        srv.close(() => resolve(null));
      });
      udp.bind(p, HOST, () => {
        udp.close();
        srv.close(() => resolve(p));
      });
    });
  });
}

/** A port number free on 127.0.0.1 for both TCP and UDP right now. */
export async function freePort() {
  for (let i = 0; i < 20; i++) {
    const p = await tryPort(0);
    if (p !== null) return p;
  }
  throw new Error('no free port on 127.0.0.1 for both TCP and UDP');
}

/** Resolves once a TCP connect to HOST:port succeeds; rejects after timeoutMs. */
export async function waitTcp(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, HOST);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${HOST}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves once some socket is bound to UDP HOST:port (read from /proc/net/udp); rejects after timeoutMs. */
export async function waitUdpBound(port, timeoutMs = 10_000) {
  // /proc/net/udp writes 127.0.0.1:port as 0100007F:PPPP (address little-endian, port big-endian hex).
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let table = '';
    try {
      table = readFileSync('/proc/net/udp', 'utf8');
    } catch {
      await new Promise((r) => setTimeout(r, 300)); // no /proc: give it a moment and go on
      return;
    }
    if (table.includes(` ${local} `)) return;
    if (Date.now() > deadline) throw new Error(`nothing bound to UDP ${HOST}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** VmRSS of a process in KiB, from /proc/PID/status (null when it is gone). */
export function rssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
