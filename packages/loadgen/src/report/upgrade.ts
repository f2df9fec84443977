/** The upgrade of version 1 runs to version 2 on reading. */
import { deriveResults } from './derive-results.js';
import type { RunReport } from './schema.js';

/** Why an upgraded version 1 run has no server view. */
export const V1_SERVER_MISSING = 'report version 1: written before the server view existed';

/** A version 1 run as version 2: results recomputed from its counters and histograms, no server view. */
export function upgradeV1Run(run: RunReport): RunReport {
  return {
    ...run,
    results: deriveResults(run.plan, run.counters, run.durationMs, run.histograms.latency, run.histograms.uncorrected),
    server: null,
    serverMissing: V1_SERVER_MISSING,
    generatorCpu: null,
    generatorHost: null,
  };
}
