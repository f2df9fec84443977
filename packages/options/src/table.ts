/**
 * {@link OptionTable}: one list of rows that fills defaults once and validates every value with a
 * message naming the option, its value and the allowed range (piscina's `options.maxThreads must be a
 * positive integer`). No I/O: `--help` objects and the README check read the same rows (help.ts, readme.ts).
 */
import { parseDuration } from './duration.js';
import { OptionRangeError, OptionTypeError } from './errors.js';
import type { FilledOf, GivenOf, KeyOf, OptionRow, OptionValue } from './row.js';

/**
 * How messages name an option: `option` for a library's options object (`options.maxPayload
 * (--max-payload)`), `flag` for options that exist only on a command line (`--connections`).
 */
export type Naming = 'option' | 'flag';

/** Bounds that replace a row's own for one check (e.g. a size limit that depends on the transport). */
export interface Bounds {
  readonly min?: number;
  readonly max?: number;
  /** Replaces the unit in the message, e.g. `bytes for --transport udp --op echo`. */
  readonly unit?: string;
}

/** An ordered, immutable table of {@link OptionRow}s; `Rows` keeps each row's literal types. */
export class OptionTable<const Rows extends readonly OptionRow[]> {
  /** The rows, in `--help` order (widened to {@link OptionRow}; `Rows` keeps the literals for the types). */
  readonly rows: readonly OptionRow[];
  /** How messages name options (see {@link Naming}). */
  readonly naming: Naming;
  readonly #byKey = new Map<string, OptionRow>();

  /** @throws Error when two rows share a key or a flag (a mistake in the table itself) */
  constructor(rows: Rows, naming: Naming) {
    this.rows = rows;
    this.naming = naming;
    const flags = new Set<string>();
    for (const row of rows) {
      if (this.#byKey.has(row.key) || flags.has(row.flag)) throw new Error(`option table: ${row.key} (--${row.flag}) twice`);
      this.#byKey.set(row.key, row);
      flags.add(row.flag);
    }
  }

  /** The row of `key`. @throws Error for a key the table does not have */
  row(key: KeyOf<Rows>): OptionRow {
    const row = this.#byKey.get(key);
    if (!row) throw new Error(`option table: no option ${key}`);
    return row;
  }

  /** How messages name `key`: `options.maxPayload (--max-payload)` or `--max-payload`. */
  nameOf(key: KeyOf<Rows>): string {
    const row = this.row(key);
    if (this.naming === 'flag') return `--${row.flag}`;
    return row.cli === false ? `options.${row.key}` : `options.${row.key} (--${row.flag})`;
  }

  /**
   * Validates one given value against its row (or `bounds`); durations come back as ms.
   * @throws OptionTypeError for the wrong type or form; OptionRangeError outside the range or choices,
   *   or for an array (a flag given more than once)
   */
  check(key: KeyOf<Rows>, value: unknown, bounds: Bounds = {}): number | string | boolean {
    const row = this.row(key);
    const name = this.nameOf(key);
    const type = (message: string): OptionTypeError => new OptionTypeError(message, row.key, row.flag, value);
    const range = (message: string): OptionRangeError => new OptionRangeError(message, row.key, row.flag, value);
    if (Array.isArray(value)) throw range(`--${row.flag} was given more than once (${value.map(String).join(', ')})`);
    switch (row.type) {
      case 'boolean':
        if (typeof value !== 'boolean') throw type(`${name} must be true or false, got ${String(value)}`);
        return value;
      case 'string':
        if (row.choices) {
          if (typeof value !== 'string' || !row.choices.includes(value)) throw range(`${name} must be one of ${row.choices.join(', ')}, got ${String(value)}`);
          return value;
        }
        if (typeof value !== 'string' || value.length === 0) {
          const rule = row.expect ?? (row.default === undefined && !row.required ? 'a non-empty string when set' : 'a non-empty string');
          throw type(`${name} must be ${rule}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
        }
        return value;
      case 'duration': {
        const ms = parseDuration(value);
        if (ms === undefined) throw type(`${name} must be a duration like 10s, 500ms or 2m, got ${JSON.stringify(value)}`);
        return this.#inRange(row, name, ms, 'integer', { unit: 'ms', ...bounds }, range);
      }
      case 'integer':
      case 'number': {
        const ok = typeof value === 'number' && (row.type === 'integer' ? Number.isInteger(value) : Number.isFinite(value));
        if (!ok) throw type(`${name} must be ${rangeText(row, row.type, bounds)}, got ${String(value)}`);
        return this.#inRange(row, name, value, row.type, bounds, range);
      }
    }
  }

  #inRange(row: OptionRow, name: string, value: number, kind: 'integer' | 'number', bounds: Bounds, range: (m: string) => OptionRangeError): number {
    const min = bounds.min ?? row.min;
    const max = bounds.max ?? row.max;
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      throw range(`${name} must be ${rangeText(row, kind, bounds)}, got ${value}`);
    }
    return value;
  }

  /**
   * The value of `key`: `given` when defined, else the row's default, validated either way;
   * undefined for an unset option without a default.
   * @throws OptionTypeError / OptionRangeError as {@link check}; OptionRangeError for a missing required option
   */
  take<K extends KeyOf<Rows>>(key: K, given: unknown, bounds?: Bounds): FilledOf<Rows>[K & keyof FilledOf<Rows>] {
    const row = this.row(key);
    const value: unknown = given ?? row.default;
    if (value === undefined) {
      if (row.required) throw new OptionRangeError(`${this.nameOf(key)} is required`, row.key, row.flag, undefined);
      return undefined as FilledOf<Rows>[K & keyof FilledOf<Rows>];
    }
    return this.check(key, value, bounds) as FilledOf<Rows>[K & keyof FilledOf<Rows>];
  }

  /**
   * Every row's value, defaults merged once, each validated in table order. Keys of `given` the table
   * does not have are ignored.
   * @throws OptionTypeError / OptionRangeError naming the first bad option, its value and the range
   */
  fill(given: GivenOf<Rows> = {}): FilledOf<Rows> {
    const out: Record<string, unknown> = {};
    const from = given as Readonly<Record<string, unknown>>;
    for (const row of this.rows) out[row.key] = this.take(row.key, from[row.key]);
    return out as FilledOf<Rows>;
  }

  /**
   * Refuses any option given as an array (yargs collects a flag given twice), before other checks.
   * @throws OptionRangeError `--connections was given more than once (2, 3)`
   */
  refuseRepeats(given: GivenOf<Rows>): void {
    const from = given as Readonly<Record<string, unknown>>;
    for (const row of this.rows) if (Array.isArray(from[row.key])) this.check(row.key, from[row.key]);
  }

  /** The options present in parsed argv (yargs keeps flags under their dashed names), by key. */
  fromArgv(argv: Readonly<Record<string, unknown>>): GivenOf<Rows> {
    const out: Record<string, unknown> = {};
    for (const row of this.rows) {
      if (row.cli === false) continue;
      const v = argv[row.flag];
      if (v !== undefined) out[row.key] = v;
    }
    return out as GivenOf<Rows>;
  }

  /** The default of `key` as the row holds it (a duration's as text), or undefined. */
  defaultOf(key: KeyOf<Rows>): OptionValue | undefined {
    return this.row(key).default;
  }
}

/** `an integer in 1..65535 ms`, `a number in 1..10000000 req/s`, `an integer ≥ 0`. */
function rangeText(row: OptionRow, kind: 'integer' | 'number', bounds: Bounds): string {
  const min = bounds.min ?? row.min;
  const max = bounds.max ?? row.max;
  const unit = bounds.unit ?? row.unit;
  const what = kind === 'integer' ? 'an integer' : 'a number';
  const span = min !== undefined && max !== undefined ? ` in ${min}..${max}` : min !== undefined ? ` ≥ ${min}` : max !== undefined ? ` ≤ ${max}` : '';
  return `${what}${span}${unit ? ` ${unit}` : ''}`;
}

/** The options a table accepts as given (`GivenOf` its rows), e.g. `TableGiven<typeof PLAN_OPTIONS>`. */
export type TableGiven<T> = T extends OptionTable<infer Rows> ? GivenOf<Rows> : never;

/** What a table's `fill` returns (`FilledOf` its rows). */
export type TableFilled<T> = T extends OptionTable<infer Rows> ? FilledOf<Rows> : never;
