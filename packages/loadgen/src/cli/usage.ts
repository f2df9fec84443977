/** The yargs parser: the commands, their option tables (which also generate `--help`), usage errors. */
import { yargsFailMessage, yargsOptions } from '@sockbench/options';
import yargs, { type Argv } from 'yargs';
import {
  AGENT_OPTIONS,
  COMPARE_OPTIONS,
  DISTRIBUTE_OPTIONS,
  MERGE_OPTIONS,
  OUTPUT_OPTIONS,
  PLAN_OPTIONS,
  SLO_OPTIONS,
  SOCKET_OPTIONS,
  SWEEP_OPTIONS,
} from '../options.js';
import { toolInfo } from '../report/output.js';
import { agentCommand } from './agent.js';
import { NAME, say } from './context.js';
import { handle } from './exit-status.js';
import { mergeCommand, reportCommand } from './report-merge.js';
import { compareCommand, runCommand } from './run-compare.js';
import { NOT_IN_SWEEP, sweepCommand } from './sweep.js';
import { streamCommand } from './stream.js';
import { STREAM_OPTIONS, STREAM_PLAN_FLAGS } from '../stream/stream-options.js';

/** Builds the yargs parser: the commands, the option tables (which also generate `--help`), usage errors. */
export function buildCli(args: string[]): Argv {
  const planOptions = yargsOptions(PLAN_OPTIONS);
  const outputOptions = yargsOptions(OUTPUT_OPTIONS);
  const sloOptions = yargsOptions(SLO_OPTIONS);
  const distributeOptions = yargsOptions(DISTRIBUTE_OPTIONS);
  const socketOptions = yargsOptions(SOCKET_OPTIONS);
  return yargs(args)
    .scriptName(NAME)
    .usage(`${NAME} [run] --port P [options]`)
    .command(['run', '$0'], 'run one load plan (the default command)', (y) => y.options(planOptions).options(socketOptions).options(outputOptions).options(sloOptions).options(distributeOptions), handle(runCommand))
    .command(
      'agent',
      'a generator machine: wait on Redis for plans from `run|compare --agents N --redis URL` and run each share (until SIGINT/SIGTERM)',
      (y) => y.options(yargsOptions(AGENT_OPTIONS)),
      handle(agentCommand),
    )
    .command(
      'compare',
      'run the same plan over each transport in turn and print them side by side with ratios',
      (y) =>
        y
          .options(planOptions)
          .options(yargsOptions(COMPARE_OPTIONS))
          .options(yargsOptions(STREAM_OPTIONS))
          .options(socketOptions)
          .options(outputOptions)
          .options(sloOptions)
          .options(distributeOptions),
      handle(compareCommand),
    )
    .command(
      'stream',
      'one-way throughput the way iperf3 measures it: goodput at the receiver, loss, reordering, duplicates, jitter (RFC 3550); up, --reverse or --bidir',
      (y) =>
        y
          .options(Object.fromEntries(Object.entries(planOptions).filter(([flag]) => STREAM_PLAN_FLAGS.includes(flag))) as typeof planOptions)
          .options(yargsOptions(STREAM_OPTIONS))
          .options(socketOptions)
          .option('json', outputOptions['json']!)
          .option('html', outputOptions['html']!)
          .option('quiet', outputOptions['quiet']!)
          .option('json-stream', outputOptions['json-stream']!)
          .options(sloOptions),
      handle(streamCommand),
    )
    .command(
      'sweep',
      'step one dimension over each transport (the open-loop rate, or --connections-list, --pipeline-list, --sizes) until an SLO fails (default loss<1%, and rate>=95% in open loop), then bisect to the knee',
      (y) =>
        y
          .options(Object.fromEntries(Object.entries(planOptions).filter(([flag]) => !NOT_IN_SWEEP.includes(flag))) as typeof planOptions)
          .options(yargsOptions(SWEEP_OPTIONS))
          .option('json', outputOptions['json']!)
          .option('html', outputOptions['html']!)
          .option('quiet', outputOptions['quiet']!)
          .options(sloOptions),
      handle(sweepCommand),
    )
    .command(
      'merge <reports..>',
      'add JSON reports of the same plan (from several generator machines) into one',
      (y) =>
        y
          .positional('reports', { type: 'string', array: true, describe: 'JSON reports to add' })
          .options(yargsOptions(MERGE_OPTIONS))
          .option('html', outputOptions['html']!)
          .option('hdr-log', outputOptions['hdr-log']!)
          .option('percentiles', outputOptions['percentiles']!),
      handle(mergeCommand),
    )
    .command(
      'report <files..>',
      'render saved JSON reports (table on stderr, and --html / --hdr-log / --json files); several are shown side by side',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, describe: 'JSON reports; two or more are compared, run by run, with ratios against the first' })
          .option('html', outputOptions['html']!)
          .option('hdr-log', outputOptions['hdr-log']!)
          .option('json', outputOptions['json']!)
          .option('percentiles', outputOptions['percentiles']!),
      handle(reportCommand),
    )
    .example(`${NAME} -c 50 -d 10s`, 'closed loop, 50 connections, 1 in flight each')
    .example(`${NAME} --transport udp -R 20000`, 'open loop, 20,000 req/s over UDP')
    .example(`${NAME} compare -c 16 --json both.json`, 'TCP then UDP, side by side')
    .example(`${NAME} stream --transport udp --bitrate 150Mbit/s --size 1400 -d 5s --reverse`, 'iperf3 -u -b 150M -R: the server sends, loss and jitter here')
    .example(`${NAME} compare --mode stream --bitrate 90Mbit/s --json s.json --html s.html`, 'TCP and UDP streams side by side')
    .example(`${NAME} -R 5000 --slo 'p99<5ms'`, 'exit 4 unless p99 < 5 ms')
    .example(`${NAME} agent --redis redis://r:6379`, 'a generator machine waiting for plans')
    .example(`${NAME} -R 50000 --agents 4 --redis redis://r`, "one plan over four machines' agents")
    .example(`${NAME} sweep --from 5000 --to 200000 --json sweep.json --html sweep.html`, 'each transport to its knee')
    .example(`${NAME} sweep --sizes 64,1400,8192 -R 2000`, 'loss and latency by size')
    .example(`${NAME} merge a.json b.json -o all.json`, 'add reports of two machines')
    .example(`${NAME} report tcp.json udp.json --html both.html`, 'show saved runs side by side')
    .epilogue('Load generator for sockbench servers and plain echo servers: closed loop (--pipeline) or open loop\n(--rate, coordinated omission corrected), latency in HdrHistogram (µs), TCP vs UDP.\n\nUnits: sizes in bytes, times in ms unless a duration (10s, 500ms), rates in req/s, latencies in µs.\nExit status: 0 ok; 1 errors, lost connections, unexpected replies or nothing completed (reports still\nwritten; the last line says why); 2 usage; 3 target unreachable;\n4 an --slo failed and nothing worse happened; 130 interrupted (the first Ctrl-C stops, drains and still\nwrites the reports).')
    .strict()
    .help()
    .alias('help', 'h')
    .version(toolInfo().version)
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      if (err) throw err;
      say(`${NAME}: ${yargsFailMessage(msg)} (see --help)`);
      process.exit(2);
    });
}
