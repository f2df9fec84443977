/**
 * @sockbench/loadgen: load plans, generator threads, HdrHistogram latency, reports (text, JSON,
 * HdrHistogram log, HTML), compare and merge. The CLI `sockbench-loadgen` is src/cli.ts. See ../README.md.
 */
export * from './errors.js';
export * from './counters.js';
export * from './histogram.js';
export * from './options.js';
export { runPlan, buildRunReport, mergeThreadIntervals, WORKER_PATH, type RunInput, type RunHooks } from './runner.js';
export { LoadLoop, type LoadLoopOptions, type LoopHooks, type ThreadFinal, type ThreadInterval } from './generator/load-loop.js';
export { driverFactory, requestPayload, BAD_REPLY, CONNECTION_CLOSED, type Driver, type DriverFactory, type ReplySink } from './generator/drivers.js';
export * from './report/schema.js';
export { mergeReports, mergeRuns, planDifferences, MERGE_KEYS } from './report/merge.js';
export { renderTable, describePlan } from './report/text.js';
export { renderHdrLog } from './report/hdr-log.js';
export { renderHtml, latencyChart, throughputChart } from './report/html.js';
export { makeReport, readReport, writeOutputs, toolInfo, type OutputTargets } from './report/output.js';
export { judge, type JudgeInput } from './report/self-check.js';
export { Progress, progressLine, type ProgressStream } from './progress.js';
