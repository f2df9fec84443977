/**
 * @sockbench/loadgen, the library: resolve a plan, run it, and read, merge and render its reports.
 * The CLI `sockbench-loadgen` (src/cli.ts) is built on exactly this surface; the generator threads,
 * their load loop and drivers are internal. See ../README.md ("Library").
 */
export { LoadgenError, LoadgenErrorCodes, UsageError, TargetUnreachable, PlanMismatchError, ReportFormatError, GeneratorError, AgentsError, type LoadgenErrorCode } from './errors.js';
export { resolveRunOptions, SLO_OPTIONS, TRANSPORTS, OPS, type LoadPlan, type RunOptions, type RunArgs, type Transport, type Op } from './options.js';
export { PACINGS, DEFAULT_PACING, type Pacing } from './generator/pacing.js';
export { UNEXPECTED_KINDS, type Counters, type UnexpectedKind } from './counters.js';
export { LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS, decodeHistogram, encodeHistogram, summarize, type Histogram, type LatencySummary } from './histogram.js';
export { runPlan, type RunInput, type RunHooks } from './runner.js';
export { REPORT_SCHEMA, REPORT_VERSION, parseReport, validateReport, type Report, type RunReport, type RunResults, type IntervalReport, type SelfCheck, type ThreadCheck } from './report/schema.js';
export { makeReport, readReport, writeOutputs, type OutputTargets } from './report/output.js';
export { mergeReports } from './report/merge.js';
export { renderTable, type TableOptions } from './report/text.js';
export { DEFAULT_PERCENTILES, parsePercentiles } from './report/percentiles.js';
export { JsonStream, STREAM_SCHEMA, STREAM_VERSION, STREAM_EVENTS, type LineSink } from './report/json-stream.js';
export { parseSlo, parseSlos, SLO_OPERATORS, type Slo, type SloMetric, type SloOperator } from './slo/parse.js';
export { checkSlosApply, evaluateSlos, failedSlos, measureSlo, type SloResult } from './slo/evaluate.js';
export { runFailed, failureReason } from './report/failure.js';
export { renderHdrLog } from './report/hdr-log.js';
export { renderHtml } from './report/html.js';
export { runAgent, defaultAgentName, type AgentConfig } from './agents/agent.js';
export { Controller, CLOCK_BOUND_MS, START_LEAD_MS, type ControllerConfig, type DistributedRun, type AgentFailure } from './agents/controller.js';
export { splitPlan } from './agents/split.js';
export { measureOffset, type ClockOffset } from './agents/clock.js';
export { AGENT_PROTOCOL_VERSION, PREFIX as AGENT_KEY_PREFIX, keys as agentKeys, channels as agentChannels, type AgentBeat, type AgentReport, type AgentRun, type FromAgent, type PlanMessage, type StopMessage } from './agents/protocol.js';
export { SWEEP_OPTIONS, DEFAULT_SWEEP_SLOS } from './options.js';
export { nextStep, formatStepValue, SWEEP_DIMENSIONS, type SweepDimension, type SweepSchedule, type StepOutcome, type StepVerdict, type NextStep } from './sweep/schedule.js';
export { runSweep, judgeStep, judgeScaling, judgeError, type SweepInput, type SweepResult, type SweepStep, type Knee } from './sweep/sweep.js';
export { sweepSlos, parseResolution, parseMinScaling } from './sweep/args.js';
export { chooseDimension, parseStepList, sizeBounds, type DimensionSteps } from './sweep/dimension.js';
export { renderSweepTable, renderSweepHtml } from './sweep/render.js';
