/**
 * `sockbench-server`: the CLI over {@link createServer}. `--workers 0` runs one process; N ≥ 1 runs
 * a cluster primary with N worker processes (cluster/primary.ts). Logs are pino JSON lines on
 * stderr, one per lifecycle event. Exit codes: 0 after a clean shutdown, 1 when the server cannot
 * start (port in use, …), 2 on a bad flag (one line naming it).
 */
import cluster from 'node:cluster';
import { isOptionError, yargsFailMessage, yargsOptions } from '@sockbench/options';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runPrimary } from './cluster/primary.js';
import { createLogger, isLoopback } from './log.js';
import { CLI_OPTIONS, SERVER_OPTIONS, checkAcross } from './options.js';
import { Server } from './server.js';

/** Exit code for a bad flag or value. */
export const EXIT_USAGE = 2;
/** Exit code when the server cannot start. */
export const EXIT_START = 1;

function usageError(message: string): never {
  process.stderr.write(`sockbench-server: ${message}\n`);
  process.exit(EXIT_USAGE);
}

async function main(): Promise<void> {
  const parser = yargs(hideBin(process.argv))
    .scriptName('sockbench-server')
    .usage('$0 [options]\n\nsockbench server: the framed protocol over TCP and UDP (same port), optional raw echo and metrics.\nLogs: pino JSON lines on stderr.')
    .strict()
    .version(false)
    .help('help')
    .alias('help', 'h')
    .wrap(process.stdout.columns ? Math.min(120, process.stdout.columns) : null)
    .fail((msg, err) => usageError(msg ? yargsFailMessage(msg) : (err?.message ?? 'bad arguments')));
  parser.options(yargsOptions(SERVER_OPTIONS)).options(yargsOptions(CLI_OPTIONS));
  parser.epilog('Environment: SOCKBENCH_TOKEN sets --token, SOCKBENCH_REDIS sets --redis, when the flag is absent.\nExit codes: 0 clean shutdown, 1 cannot start, 2 bad flag.');
  const argv = await parser.parseAsync();

  const given = SERVER_OPTIONS.fromArgv(argv);
  if (given.token === undefined && process.env.SOCKBENCH_TOKEN) given.token = process.env.SOCKBENCH_TOKEN;
  if (given.redis === undefined && process.env.SOCKBENCH_REDIS) given.redis = process.env.SOCKBENCH_REDIS;
  let cli;
  let options;
  try {
    cli = CLI_OPTIONS.fill(CLI_OPTIONS.fromArgv(argv));
    options = checkAcross(SERVER_OPTIONS.fill(given));
  } catch (err) {
    if (isOptionError(err)) usageError(err.message);
    throw err;
  }
  const { workers, logLevel } = cli;
  const logger = createLogger(logLevel, { role: workers === 0 ? 'single' : 'primary' });
  if (!isLoopback(options.host)) {
    logger.warn({ host: options.host }, 'non-loopback --host: the server is reachable from the network');
  }

  if (workers > 0 && cluster.isPrimary) {
    const code = await runPrimary({ options, workers, logger, logLevel });
    process.exit(code);
  }

  const server = new Server({ ...options, logger });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, drainTimeoutMs: options.drainTimeoutMs }, 'shutdown');
    void server.close().then(() => {
      logger.info('exit');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  try {
    await server.listen();
  } catch (err) {
    logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'cannot start');
    process.exit(EXIT_START);
  }
}

void main();
