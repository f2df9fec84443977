/**
 * `--help` from the table: one yargs option object per row. The objects are plain data shaped like
 * yargs' `Options` (assignable to it), so this package needs no yargs at runtime. No yargs `default`
 * is set: the table fills defaults once (so "absent" stays visible to conflict checks such as
 * `--pipeline` with `--rate`), and `--help` shows the default in the description instead.
 */
import type { OptionRow, RowList } from './row.js';

/** A yargs option object (the subset of yargs' `Options` the tables use). */
export interface YargsOption {
  type: 'string' | 'number' | 'boolean';
  describe: string;
  requiresArg: boolean;
  choices?: string[];
  alias?: string;
  demandOption?: boolean;
  group?: string;
}

/**
 * The default as `--help` and the README show it: the value (`7878`, `10s`), `defaultText` (with the
 * value here when there is one: `available parallelism (8 here)`), `required`, or `off`.
 */
export function defaultLabel(row: OptionRow): string {
  if (row.defaultText !== undefined) return row.default === undefined ? row.defaultText : `${row.defaultText} (${String(row.default)} here)`;
  if (row.default !== undefined) return String(row.default);
  return row.required ? 'required' : 'off';
}

/** The help line of a row: `description [min..max] (unit) [default: …]`. */
export function helpText(row: OptionRow): string {
  const span = row.type !== 'duration' && row.min !== undefined && row.max !== undefined ? ` [${row.min}..${row.max}]` : '';
  const unit = row.unit ? ` (${row.unit})` : '';
  // yargs prints [required] itself.
  const def = row.required ? '' : ` [default: ${defaultLabel(row)}]`;
  return `${row.description}${span}${unit}${def}`;
}

/**
 * The yargs option objects of a table's CLI rows, keyed by flag.
 * @param extra fields added to every object (e.g. `{ group: 'Connection options:' }`)
 */
export function yargsOptions(table: RowList, extra: Pick<YargsOption, 'group'> = {}): Record<string, YargsOption> {
  const out: Record<string, YargsOption> = {};
  for (const row of table.rows) {
    if (row.cli === false) continue;
    const o: YargsOption = {
      type: row.type === 'boolean' ? 'boolean' : row.type === 'string' || row.type === 'duration' ? 'string' : 'number',
      describe: helpText(row),
      requiresArg: row.type !== 'boolean',
      ...extra,
    };
    if (row.choices) o.choices = [...row.choices];
    if (row.alias !== undefined) o.alias = row.alias;
    if (row.required) o.demandOption = true;
    out[row.flag] = o;
  }
  return out;
}
