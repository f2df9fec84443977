import { describe, expect, it } from 'vitest';
import { defaultLabel, helpText, yargsOptions } from './help.js';
import { OptionTable } from './table.js';

describe('yargsOptions', () => {
  const table = new OptionTable(
    [
      { key: 'port', flag: 'port', alias: 'p', type: 'integer', min: 1, max: 65535, default: 7878, description: 'server port' },
      { key: 'maxPayload', flag: 'max-payload', type: 'integer', unit: 'bytes', min: 0, max: 10, default: 4, description: 'largest payload' },
      { key: 'mode', flag: 'mode', type: 'string', choices: ['a', 'b'], default: 'a', description: 'mode' },
      { key: 'warmup', flag: 'warmup', type: 'duration', min: 0, max: 10, default: '1s', description: 'warm-up' },
      { key: 'quiet', flag: 'quiet', type: 'boolean', default: false, description: 'quiet' },
      { key: 'threads', flag: 'threads', type: 'integer', min: 1, max: 9, default: 3, defaultText: 'available parallelism', description: 'threads' },
      { key: 'out', flag: 'out', type: 'string', required: true, description: 'file' },
      { key: 'lib', flag: 'lib', type: 'string', cli: false, description: 'library only' },
    ],
    'flag',
  );

  it('builds one yargs object per CLI row with help text, type, alias, choices; no yargs default', () => {
    const y = yargsOptions(table, { group: 'G:' });
    expect(Object.keys(y)).toEqual(['port', 'max-payload', 'mode', 'warmup', 'quiet', 'threads', 'out']);
    expect(y['port']).toEqual({ type: 'number', alias: 'p', requiresArg: true, group: 'G:', describe: 'server port [1..65535] [default: 7878]' });
    expect(y['max-payload']!.describe).toBe('largest payload [0..10] (bytes) [default: 4]');
    expect(y['mode']).toMatchObject({ type: 'string', choices: ['a', 'b'] });
    expect(y['warmup']).toMatchObject({ type: 'string', describe: 'warm-up [default: 1s]' });
    expect(y['quiet']).toMatchObject({ type: 'boolean', requiresArg: false, describe: 'quiet [default: false]' });
    expect(y['threads']!.describe).toBe('threads [1..9] [default: available parallelism (3 here)]');
    expect(y['out']).toMatchObject({ demandOption: true, describe: 'file' });
    for (const o of Object.values(y)) expect(o).not.toHaveProperty('default');
  });

  it('labels defaults for help and docs', () => {
    expect(defaultLabel(table.row('lib'))).toBe('off');
    expect(defaultLabel(table.row('out'))).toBe('required');
    expect(helpText(table.row('lib'))).toBe('library only [default: off]');
  });
});
