/**
 * `sockbench-client`: the command line, parsed by yargs from the same option table `connect()`
 * validates with (so `--help` shows the library's defaults, units and ranges).
 */
import type { Readable, Writable } from 'node:stream';
import yargs, { type Argv, type Options as YargsOption } from 'yargs';
import { connect, type Client } from '../client.js';
import { CONNECT_OPTION_TABLE, type ConnectOptions } from '../options.js';
import { computeCommand, echoCommand, pingCommand, statsCommand } from './commands.js';
import { UsageError } from '../errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { runSession } from './interactive.js';
import { describeFailure } from './report.js';

/** The process streams (injectable so the CLI could run in-process; the tests spawn it instead). */
export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Resolves on SIGINT (ping stops and prints its summary). */
  interrupted?: Promise<void>;
}

/** Default of `compute --iterations`. */
export const DEFAULT_CLI_ITERATIONS = 1000;

const GLOBAL = 'Connection options (from the library option table):';

function connectionOptions(): Record<string, YargsOption> {
  const out: Record<string, YargsOption> = {};
  for (const row of CONNECT_OPTION_TABLE) {
    if (row.key === 'transport') continue; // the --udp switch below
    const unit = row.unit ? ` (${row.unit})` : '';
    const range = row.min !== undefined ? ` [${row.min}..${row.max}]` : '';
    out[row.flag] = {
      type: row.type,
      describe: `${row.describe}${unit}${range}`,
      group: GLOBAL,
      ...(row.default !== undefined && { default: row.default }),
      ...(row.flag === 'port' && { alias: 'p' }),
    };
  }
  out['udp'] = { type: 'boolean', default: false, alias: 'u', group: GLOBAL, describe: 'use UDP instead of TCP (interactive, ping, echo, compute)' };
  return out;
}

function buildParser(argv: string[]): Argv {
  return yargs(argv)
    .scriptName('sockbench-client')
    .usage(
      '$0 [command] [options]\n\nWith no command, an interactive session: a line is sent as ECHO, /help lists the commands.\n' +
        'Exit codes: 0 done, 1 server error (or timeout, connection lost), 2 usage, 3 cannot connect.',
    )
    .command('$0', 'interactive session on a TTY or with lines piped on stdin')
    .command('ping', 'PING like ping(8): one RTT line per reply, then min/avg/max/mdev', (y) =>
      y
        .option('count', { alias: 'c', type: 'number', default: 0, describe: 'requests to send; 0 = until Ctrl-C' })
        .option('interval', { alias: 'i', type: 'number', default: 1, describe: 'seconds between requests (fractions allowed, ≥ 0)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON alone on stdout (lines go to stderr)' }),
    )
    .command('echo <text..>', 'ECHO TEXT and print the reply')
    .command('compute <text..>', 'COMPUTE: SHA-256 of TEXT applied N times on the server; prints the hex digest', (y) =>
      y.option('iterations', { alias: 'n', type: 'number', default: DEFAULT_CLI_ITERATIONS, describe: 'SHA-256 rounds (1..the server cap, default cap 100000)' }),
    )
    .command('stats', "print the server's STATS snapshot as JSON (TCP)")
    .command('chat <room>', 'join ROOM and say each stdin line to it; CHAT pushes print as they arrive (TCP)')
    .options(connectionOptions())
    .strict()
    .help()
    .alias('help', 'h')
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw new UsageError(msg ?? err?.message ?? 'bad command line');
    })
    .wrap(Math.min(120, yargs().terminalWidth()));
}

/**
 * Runs the CLI on `argv` (without `node` and the script).
 * @returns the exit code (see exit-codes.ts); never throws
 */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCodeValue> {
  const fail = (err: unknown): ExitCodeValue => {
    const { line, exitCode } = describeFailure(err);
    io.stderr.write(`sockbench-client: ${line}\n`);
    if (exitCode === ExitCode.USAGE) io.stderr.write('run sockbench-client --help for usage\n');
    return exitCode;
  };

  let args: Record<string, unknown> & { _: Array<string | number> };
  let helpShown = false;
  try {
    const parser = buildParser(argv);
    args = await parser.parseAsync(argv, {}, (err, _argv, output) => {
      // yargs hands --help text here instead of printing it; usage errors go through .fail above.
      if (!err && output) {
        helpShown = true;
        io.stdout.write(`${output}\n`);
      }
    });
  } catch (err) {
    return fail(err);
  }
  if (helpShown || args['help'] === true) return ExitCode.OK;

  const command = String(args._[0] ?? '');
  const udp = args['udp'] === true;
  let client: Client | undefined;
  try {
    if (udp && (command === 'stats' || command === 'chat')) {
      throw new UsageError(`--udp does not apply to ${command}: UDP serves PING, ECHO and COMPUTE only`);
    }
    const options: ConnectOptions = {
      host: args['host'] as string,
      port: args['port'] as number,
      transport: udp ? 'udp' : 'tcp',
      timeoutMs: args['timeout'] as number,
      connectTimeoutMs: args['connect-timeout'] as number,
      maxPayload: args['max-payload'] as number,
    };
    // An empty SOCKBENCH_TOKEN counts as unset (the way shells clear a variable).
    const token = (args['token'] as string | undefined) ?? (io.env['SOCKBENCH_TOKEN'] || undefined);
    if (token !== undefined && !udp) options.token = token;
    if (args['name'] !== undefined && !udp) options.name = args['name'] as string;

    let ping: { count: number; intervalS: number } | undefined;
    if (command === 'ping') {
      const count = args['count'] as number;
      const intervalS = args['interval'] as number;
      if (!Number.isInteger(count) || count < 0) throw new UsageError(`--count must be an integer ≥ 0, got ${count}`);
      if (!Number.isFinite(intervalS) || intervalS < 0 || intervalS > 3600) {
        throw new UsageError(`--interval must be a number of seconds in 0..3600, got ${intervalS}`);
      }
      ping = { count, intervalS };
    }
    const iterations = args['iterations'] as number | undefined;
    if (command === 'compute' && (!Number.isInteger(iterations) || iterations! < 1 || iterations! > 0xffff_ffff)) {
      throw new UsageError(`--iterations must be an integer in 1..4294967295, got ${String(iterations)}`);
    }

    client = await connect(options);
    const text = Array.isArray(args['text']) ? (args['text'] as unknown[]).map(String).join(' ') : '';
    let code: ExitCodeValue;
    switch (command) {
      case 'ping':
        code = await pingCommand(client, { ...ping!, json: args['json'] === true, ...(io.interrupted && { stop: io.interrupted }) }, io.stdout, io.stderr);
        break;
      case 'echo':
        code = await echoCommand(client, text, io.stdout);
        break;
      case 'compute':
        code = await computeCommand(client, iterations!, text, io.stdout);
        break;
      case 'stats':
        code = await statsCommand(client, io.stdout);
        break;
      case 'chat':
        return await runSession(client, sessionIo(io), String(args['room']));
      default:
        return await runSession(client, sessionIo(io));
    }
    if (client.transport === 'tcp' && !client.closed) await client.bye();
    return code;
  } catch (err) {
    return fail(err);
  } finally {
    await client?.close();
  }
}

function sessionIo(io: CliIo): Parameters<typeof runSession>[1] {
  return {
    input: io.stdin,
    output: io.stdout,
    errors: io.stderr,
    terminal: io.stdin.isTTY === true && io.stdout.isTTY === true,
    ...(io.interrupted && { interrupted: io.interrupted }),
  };
}
