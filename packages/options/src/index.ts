/**
 * `@sockbench/options`: option tables for the sockbench CLIs and libraries. One row per option fills
 * defaults once, validates, builds the yargs `--help` objects and checks the README. No I/O, no
 * runtime dependency.
 */
export type { FilledOf, GivenOf, KeyOf, OptionRow, OptionType, OptionValue, RowList, RowValue } from './row.js';
export { OptionTable, type Bounds, type Naming, type TableFilled, type TableGiven } from './table.js';
export { defaultLabel, helpText, yargsOptions, type YargsOption } from './help.js';
export { readmeMismatches } from './readme.js';
export { yargsFailMessage } from './yargs-message.js';
export { formatDuration, parseDuration } from './duration.js';
export { OptionErrorCodes, OptionRangeError, OptionTypeError, isOptionError, type OptionErrorFields } from './errors.js';
