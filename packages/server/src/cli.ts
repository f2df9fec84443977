/**
 * `sockbench-server`: the CLI over {@link createServer}. `--workers 0` runs one process; N ≥ 1 runs
 * a cluster primary with N worker processes (cluster/primary.ts). Logs are pino JSON lines on
 * stderr, one per lifecycle event. Exit codes: 0 after a clean shutdown, 1 when the server cannot
 * start (port in use, …), 2 on a bad flag (one line naming it).
 */
import cluster from 'node:cluster';
import yargs, { type Options as YargsOption } from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { LevelWithSilent } from 'pino';
import { runPrimary } from './cluster/primary.js';
import { LOG_LEVELS, createLogger, isLoopback } from './log.js';
import { OPTION_TABLE, checkWorkers, fillOptions, type ServerOptions } from './options.js';
import { Server } from './server.js';

/** Exit code for a bad flag or value. */
export const EXIT_USAGE = 2;
/** Exit code when the server cannot start. */
export const EXIT_START = 1;

function usageError(message: string): never {
  process.stderr.write(`sockbench-server: ${message}\n`);
  process.exit(EXIT_USAGE);
}

function helpText(row: (typeof OPTION_TABLE)[number]): string {
  const unit = row.unit ? ` (${row.unit})` : '';
  const def = row.defaultText ?? (row.default === undefined ? 'off' : String(row.default));
  return `${row.describe}${unit} [default: ${def}]`;
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
    .fail((msg, err) => usageError(msg ?? err?.message ?? 'bad arguments'));
  for (const row of OPTION_TABLE) {
    const opt: YargsOption = { type: row.type, describe: helpText(row), requiresArg: row.type !== 'boolean' };
    if (row.choices) opt.choices = [...row.choices];
    parser.option(row.flag, opt);
  }
  parser.option('log-level', { type: 'string', choices: [...LOG_LEVELS], describe: 'pino log level [default: info]', requiresArg: true });
  parser.epilog('Environment: SOCKBENCH_TOKEN sets --token when the flag is absent.\nExit codes: 0 clean shutdown, 1 cannot start, 2 bad flag.');
  const argv = await parser.parseAsync();

  const raw = argv as unknown as Record<string, unknown>;
  const given: ServerOptions & { workers?: number } = {};
  for (const row of OPTION_TABLE) {
    const v = raw[row.flag];
    if (v !== undefined) (given as Record<string, unknown>)[row.key] = v;
  }
  if (given.token === undefined && process.env.SOCKBENCH_TOKEN) given.token = process.env.SOCKBENCH_TOKEN;
  let workers: number;
  let options;
  try {
    workers = checkWorkers(given.workers ?? OPTION_TABLE.find((r) => r.key === 'workers')!.default);
    delete given.workers;
    options = fillOptions(given);
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) usageError(err.message);
    throw err;
  }
  const logLevel = (raw['log-level'] as LevelWithSilent | undefined) ?? 'info';
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
