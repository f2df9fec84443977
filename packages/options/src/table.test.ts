import { describe, expect, expectTypeOf, it } from 'vitest';
import { OptionErrorCodes, OptionRangeError, OptionTypeError, isOptionError } from './errors.js';
import { OptionTable } from './table.js';

const table = new OptionTable(
  [
    { key: 'host', flag: 'host', type: 'string', default: '127.0.0.1', expect: 'a non-empty address', description: 'address' },
    { key: 'port', flag: 'port', alias: 'p', type: 'integer', min: 1, max: 65535, default: 7878, description: 'port' },
    { key: 'timeoutMs', flag: 'timeout', type: 'integer', unit: 'ms', min: 0, max: 1000, default: 500, description: 'timeout' },
    { key: 'rate', flag: 'rate', type: 'number', unit: 'req/s', min: 1, max: 100, description: 'rate' },
    { key: 'mode', flag: 'mode', type: 'string', choices: ['a', 'b'], default: 'a', description: 'mode' },
    { key: 'token', flag: 'token', type: 'string', description: 'secret' },
    { key: 'quiet', flag: 'quiet', type: 'boolean', default: false, description: 'quiet' },
    { key: 'duration', flag: 'duration', type: 'duration', min: 1, max: 60_000, default: '10s', description: 'time' },
    { key: 'transport', flag: 'transport', type: 'string', choices: ['tcp', 'udp'], default: 'tcp', cli: false, description: 'transport' },
  ],
  'option',
);

describe('OptionTable.fill', () => {
  it('merges every default once, durations as ms, unset options as undefined', () => {
    expect(table.fill()).toEqual({ host: '127.0.0.1', port: 7878, timeoutMs: 500, rate: undefined, mode: 'a', token: undefined, quiet: false, duration: 10_000, transport: 'tcp' });
    expect(table.fill({ port: 1, rate: 2.5, duration: '1.5', token: 's' })).toMatchObject({ port: 1, rate: 2.5, duration: 1500, token: 's' });
  });

  it('types each key from its row', () => {
    const filled = table.fill();
    expectTypeOf(filled.port).toEqualTypeOf<number>();
    expectTypeOf(filled.mode).toEqualTypeOf<'a' | 'b'>();
    expectTypeOf(filled.token).toEqualTypeOf<string | undefined>();
    expectTypeOf(filled.quiet).toEqualTypeOf<boolean>();
  });

  it.each([
    [{ port: 0 }, OptionRangeError, 'options.port (--port) must be an integer in 1..65535, got 0'],
    [{ port: 1.5 }, OptionTypeError, 'options.port (--port) must be an integer in 1..65535, got 1.5'],
    [{ port: Number.NaN }, OptionTypeError, 'options.port (--port) must be an integer in 1..65535, got NaN'],
    [{ timeoutMs: 1001 }, OptionRangeError, 'options.timeoutMs (--timeout) must be an integer in 0..1000 ms, got 1001'],
    [{ rate: Infinity }, OptionTypeError, 'options.rate (--rate) must be a number in 1..100 req/s, got Infinity'],
    [{ rate: 0.5 }, OptionRangeError, 'options.rate (--rate) must be a number in 1..100 req/s, got 0.5'],
    [{ mode: 'c' }, OptionRangeError, 'options.mode (--mode) must be one of a, b, got c'],
    [{ host: '' }, OptionTypeError, 'options.host (--host) must be a non-empty address, got ""'],
    [{ token: '' }, OptionTypeError, 'options.token (--token) must be a non-empty string when set, got ""'],
    [{ quiet: 'yes' }, OptionTypeError, 'options.quiet (--quiet) must be true or false, got yes'],
    [{ duration: 'soon' }, OptionTypeError, 'options.duration (--duration) must be a duration like 10s, 500ms or 2m, got "soon"'],
    [{ duration: '2m' }, OptionRangeError, 'options.duration (--duration) must be an integer in 1..60000 ms, got 120000'],
    [{ transport: 'sctp' }, OptionRangeError, 'options.transport must be one of tcp, udp, got sctp'],
    [{ port: [1, 2] }, OptionRangeError, '--port was given more than once (1, 2)'],
  ])('%o is refused naming the option, its value and the range', (given, cls, message) => {
    let caught: unknown;
    try {
      table.fill(given);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(cls);
    expect((caught as Error).message).toBe(message);
    expect(isOptionError(caught)).toBe(true);
    const key = Object.keys(given)[0]!;
    expect(caught).toMatchObject({ option: key, flag: table.row(key as 'port').flag, value: (given as Record<string, unknown>)[key] });
  });

  it('keeps TypeError and RangeError as the bases, with stable codes', () => {
    expect(() => table.fill({ port: 1.5 })).toThrow(TypeError);
    expect(() => table.fill({ port: 0 })).toThrow(RangeError);
    expect(new OptionTypeError('m', 'k', 'f', 1).code).toBe(OptionErrorCodes.TYPE);
    expect(new OptionRangeError('m', 'k', 'f', 1).code).toBe(OptionErrorCodes.RANGE);
    expect(isOptionError(new RangeError('x'))).toBe(false);
  });
});

describe('OptionTable.take and check', () => {
  const cli = new OptionTable(
    [
      { key: 'size', flag: 'size', type: 'integer', unit: 'bytes', min: 0, max: 100, description: 'size' },
      { key: 'output', flag: 'output', type: 'string', required: true, description: 'file' },
    ],
    'flag',
  );

  it('names flags alone in flag naming, and narrows bounds for one check', () => {
    expect(() => cli.take('size', 101)).toThrow('--size must be an integer in 0..100 bytes, got 101');
    expect(() => cli.check('size', 50, { min: 4, max: 40, unit: 'bytes for udp' })).toThrow('--size must be an integer in 4..40 bytes for udp, got 50');
    expect(cli.take('size', undefined)).toBeUndefined();
  });

  it('refuses a missing required option', () => {
    expect(() => cli.take('output', undefined)).toThrow(new OptionRangeError('--output is required', 'output', 'output', undefined));
    expect(cli.take('output', '-')).toBe('-');
  });

  it('reads given options from argv by flag and skips library-only rows', () => {
    expect(table.fromArgv({ port: 9, 'timeout': 3, timeoutMs: 4, transport: 'udp', _: [] })).toEqual({ port: 9, timeoutMs: 3 });
  });

  it('refuses a table with a key or flag twice', () => {
    expect(() => new OptionTable([
      { key: 'a', flag: 'x', type: 'boolean', description: '' },
      { key: 'b', flag: 'x', type: 'boolean', description: '' },
    ], 'flag')).toThrow('option table: b (--x) twice');
  });
});
