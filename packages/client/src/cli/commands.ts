/** The one-shot subcommands: `ping`, `echo`, `compute`, `stats`. Each takes an open client. */
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { HEADER_SIZE } from '@sockbench/protocol';
import type { Client } from '../client.js';
import { TimeoutError } from '../errors.js';
import { summarizeRtts, type RttSummary } from '../rtt-summary.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { describeCommandError } from './report.js';

/** Options of the `ping` subcommand. */
export interface PingCommandOptions {
  /** Requests to send; 0 = until interrupted (SIGINT), as ping(8). */
  count: number;
  /** Seconds between sends (ping(8)'s `-i`). */
  intervalS: number;
  /** Print the summary as JSON alone on stdout (the per-reply lines go to stderr). */
  json: boolean;
  /** Resolves to stop sending early (SIGINT). */
  stop?: Promise<void>;
}

/** The JSON `ping --json` prints. */
export interface PingReport extends RttSummary {
  target: string;
  transport: 'tcp' | 'udp';
  transmitted: number;
  received: number;
  /** Lost requests, percent of transmitted. */
  lossPercent: number;
  /** Wall time from the first send to the last reply or timeout, ms. */
  timeMs: number;
  /** Every round-trip time, ms, in send order (lost ones left out). */
  rttsMs: number[];
}

/**
 * ping(8) over the protocol's PING: one line per reply (`12 bytes from HOST:PORT: seq=N time=T ms`,
 * 12 being the reply frame: a bare header), requests sent every `intervalS` whether or not the previous
 * reply arrived, then the `--- … ping statistics ---` block with `rtt min/avg/max/mdev`.
 * @returns 0 when at least one reply arrived, 1 when none did (as ping(8))
 */
export async function pingCommand(
  client: Client,
  opts: PingCommandOptions,
  stdout: Writable,
  stderr: Writable,
): Promise<ExitCodeValue> {
  const out = opts.json ? stderr : stdout;
  const target = client.address;
  let stopped = false;
  void opts.stop?.then(() => {
    stopped = true;
  });
  out.write(`PING ${target} (${client.transport}): ${HEADER_SIZE} bytes per request\n`);
  const rtts: Array<number | undefined> = [];
  const inFlight: Array<Promise<void>> = [];
  const started = performance.now();
  for (let seq = 1; (opts.count === 0 || seq <= opts.count) && !stopped; seq++) {
    const index = seq - 1;
    rtts.push(undefined);
    inFlight.push(
      client.ping().then(
        (rtt) => {
          rtts[index] = rtt;
          out.write(`${HEADER_SIZE} bytes from ${target}: seq=${seq} time=${rtt.toFixed(3)} ms\n`);
        },
        (err: unknown) => {
          out.write(
            err instanceof TimeoutError
              ? `no reply for seq=${seq} within ${err.timeoutMs} ms\n`
              : `seq=${seq}: ${describeCommandError(err)}\n`,
          );
        },
      ),
    );
    if (opts.count !== 0 && seq === opts.count) break;
    await Promise.race([sleep(opts.intervalS * 1000), ...(opts.stop ? [opts.stop] : [])]);
  }
  await Promise.all(inFlight);
  const timeMs = performance.now() - started;
  const received = rtts.filter((r): r is number => r !== undefined);
  const summary = summarizeRtts(received);
  const transmitted = rtts.length;
  const lossPercent = transmitted === 0 ? 0 : ((transmitted - received.length) / transmitted) * 100;
  out.write(`\n--- ${target} ping statistics (${client.transport}) ---\n`);
  out.write(
    `${transmitted} requests transmitted, ${received.length} received, ${formatPercent(lossPercent)}% loss, time ${Math.round(timeMs)}ms\n`,
  );
  if (received.length > 0) {
    const f = (x: number): string => x.toFixed(3);
    out.write(`rtt min/avg/max/mdev = ${f(summary.min)}/${f(summary.avg)}/${f(summary.max)}/${f(summary.mdev)} ms\n`);
  }
  if (opts.json) {
    const report: PingReport = {
      target,
      transport: client.transport,
      transmitted,
      received: received.length,
      lossPercent,
      timeMs,
      ...summary,
      rttsMs: received,
    };
    stdout.write(`${JSON.stringify(report)}\n`);
  }
  return received.length > 0 ? ExitCode.OK : ExitCode.SERVER_ERROR;
}

/** ping(8) prints loss as an integer percent unless it is fractional. */
function formatPercent(p: number): string {
  return Number.isInteger(p) ? String(p) : p.toFixed(3);
}

/** `echo TEXT`: prints the bytes the server sent back, as UTF-8. */
export async function echoCommand(client: Client, text: string, stdout: Writable): Promise<ExitCodeValue> {
  const reply = await client.echo(text);
  stdout.write(`${reply.toString('utf8')}\n`);
  return ExitCode.OK;
}

/** `compute --iterations N TEXT`: prints the SHA-256 digest, hex. */
export async function computeCommand(
  client: Client,
  iterations: number,
  text: string,
  stdout: Writable,
): Promise<ExitCodeValue> {
  const digest = await client.compute(iterations, text);
  stdout.write(`${digest.toString('hex')}\n`);
  return ExitCode.OK;
}

/** `stats`: prints the server's STATS snapshot as JSON (indented, machine-readable). */
export async function statsCommand(client: Client, stdout: Writable): Promise<ExitCodeValue> {
  const stats = await client.stats();
  stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
  return ExitCode.OK;
}
