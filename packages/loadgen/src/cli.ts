/**
 * `sockbench-loadgen`: run (default), compare, merge, report. Human output (progress, tables, notes)
 * goes to stderr; stdout carries only the JSON report, and only with `--json -`, or the NDJSON
 * events of `--json-stream`.
 *
 * Exit status: 0 done; 130 interrupted by Ctrl-C (reports of the time measured are still written); 1 the
 * run finished but had errors, lost connections, unexpected replies or no completed request (its
 * reports are still written; the last line says which), or a generator thread failed; 2 usage (unknown, malformed or conflicting
 * flags, plans that differ in `merge`, a file that is not a report); 3 the target is unreachable;
 * 4 a `--slo` failed and nothing above did (the last lines name each failed SLO and its value).
 */
import { hideBin } from 'yargs/helpers';
import { interrupt } from './cli/context.js';
import { buildCli } from './cli/usage.js';

interrupt.install();
await buildCli(hideBin(process.argv)).parseAsync();
