/**
 * Errors of option validation. Two classes because callers tell a malformed value (`TypeError`:
 * not an integer, not a duration) from one outside its range (`RangeError`), as piscina does; both
 * carry a stable `code`, the option's key and flag and the refused value. CLIs map them to their
 * usage exit status (2).
 *
 * | class              | code                     | when |
 * |--------------------|--------------------------|------|
 * | OptionTypeError    | SOCKBENCH_OPTION_TYPE    | the value has the wrong type or form |
 * | OptionRangeError   | SOCKBENCH_OPTION_RANGE   | out of range, not one of the choices, missing, or given twice |
 */

/** Stable codes of the two option errors. */
export const OptionErrorCodes = {
  TYPE: 'SOCKBENCH_OPTION_TYPE',
  RANGE: 'SOCKBENCH_OPTION_RANGE',
} as const;

/** What both option errors carry besides the message. */
export interface OptionErrorFields {
  /** Stable code, one of {@link OptionErrorCodes}. */
  readonly code: (typeof OptionErrorCodes)[keyof typeof OptionErrorCodes];
  /** The option's key, e.g. `maxPayload`. */
  readonly option: string;
  /** Its CLI flag without dashes, e.g. `max-payload`. */
  readonly flag: string;
  /** The value refused. */
  readonly value: unknown;
}

/** A value of the wrong type or form, e.g. `options.port (--port) must be an integer in 1..65535, got 1.5`. */
export class OptionTypeError extends TypeError implements OptionErrorFields {
  readonly code = OptionErrorCodes.TYPE;
  readonly option: string;
  readonly flag: string;
  readonly value: unknown;

  constructor(message: string, option: string, flag: string, value: unknown) {
    super(message);
    this.name = 'OptionTypeError';
    this.option = option;
    this.flag = flag;
    this.value = value;
  }
}

/** A value outside its range or choices, a missing required option, or a flag given twice. */
export class OptionRangeError extends RangeError implements OptionErrorFields {
  readonly code = OptionErrorCodes.RANGE;
  readonly option: string;
  readonly flag: string;
  readonly value: unknown;

  constructor(message: string, option: string, flag: string, value: unknown) {
    super(message);
    this.name = 'OptionRangeError';
    this.option = option;
    this.flag = flag;
    this.value = value;
  }
}

/** True for either option error (what a CLI turns into its usage exit status). */
export function isOptionError(err: unknown): err is OptionTypeError | OptionRangeError {
  return err instanceof OptionTypeError || err instanceof OptionRangeError;
}
