/** The report's `schema` and `version` values: what this code writes and which versions it reads. */
/** Value of the `schema` field. */
export const REPORT_SCHEMA = 'sockbench.loadgen.report';
/** Value of the `version` field this code writes. */
export const REPORT_VERSION = 2;
/** Versions this code reads (older ones are upgraded on read). */
export const READABLE_VERSIONS: readonly number[] = [1, 2];
