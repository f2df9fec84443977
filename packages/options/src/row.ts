/**
 * The shape of one option: a row of an {@link OptionTable}. A row is data only; validation, `--help`
 * and the README check all read the same row, so the three cannot drift (fastify's errors-in-docs idea
 * applied to options).
 */

/**
 * How a value is read and checked:
 * - `integer`: a safe integer, checked against `min..max`;
 * - `number`: a finite number, checked against `min..max` (fractions allowed);
 * - `string`: a non-empty string, or one of `choices` when the row has them;
 * - `boolean`: `true` or `false`;
 * - `duration`: `10s`, `500ms`, `2m`, `1h` or a bare number of seconds, filled as integer ms and
 *   checked against `min..max` ms (see {@link parseDuration}).
 */
export type OptionType = 'integer' | 'number' | 'string' | 'boolean' | 'duration';

/** A value a row may hold as its default (a duration's default is its text, e.g. `'10s'`). */
export type OptionValue = string | number | boolean;

/** One option: its key in the options object, its CLI flag and everything messages, help and docs show. */
export interface OptionRow<K extends string = string> {
  /** Key in the options object (camelCase), e.g. `maxPayload`. */
  readonly key: K;
  /** CLI flag without dashes, e.g. `max-payload`. */
  readonly flag: string;
  /** One-letter alias without the dash, e.g. `p`. */
  readonly alias?: string;
  readonly type: OptionType;
  /** What it does, for `--help`; the unit, range and default are appended there. */
  readonly description: string;
  /** Unit of the value (`bytes`, `ms`, `req/s`); shown in messages, `--help` and the README's unit column. Durations have none: messages say ms, the README says `duration`. */
  readonly unit?: string;
  /** Inclusive bounds for `integer`, `number` and `duration` (ms). */
  readonly min?: number;
  readonly max?: number;
  /** The only strings allowed (`string` rows). */
  readonly choices?: readonly string[];
  /** Default filled when the option is absent; absent means unset (undefined) unless `required`. */
  readonly default?: OptionValue;
  /** How `--help` and the README show the default when the value alone would mislead (machine-dependent, per-op). */
  readonly defaultText?: string;
  /** The option must be given (yargs `demandOption`; the README says `required`). */
  readonly required?: boolean;
  /** How a message words a string rule, e.g. `a non-empty address`; default `a non-empty string` (`… when set` without a default). */
  readonly expect?: string;
  /** `false`: a library option with no CLI flag of its own (messages then name only `options.<key>`). */
  readonly cli?: boolean;
}

/** Anything holding rows in order (an `OptionTable`); what `--help` and the README check read. */
export interface RowList {
  readonly rows: readonly OptionRow[];
}

/** The value type a row fills: `boolean`, its choices, `string`, or `number` (durations fill as ms). */
export type RowValue<R extends OptionRow> = R extends { readonly type: 'boolean' }
  ? boolean
  : R extends { readonly type: 'string' }
    ? R extends { readonly choices: readonly (infer C extends string)[] }
      ? C
      : string
    : number;

/** True for rows that always fill a value (a default, or required). */
type Always<R> = R extends { readonly default: OptionValue } ? true : R extends { readonly required: true } ? true : false;

/** The keys of a table's rows. */
export type KeyOf<Rows extends readonly OptionRow[]> = Rows[number]['key'];

/** What {@link OptionTable.fill} returns: every key, typed from its row; `undefined` where a row has no default. */
export type FilledOf<Rows extends readonly OptionRow[]> = {
  -readonly [R in Rows[number] as R['key']]: Always<R> extends true ? RowValue<R> : RowValue<R> | undefined;
};

/** Options as given (from a caller or parsed argv): any key may be missing or malformed. */
export type GivenOf<Rows extends readonly OptionRow[]> = { [K in KeyOf<Rows>]?: unknown };
