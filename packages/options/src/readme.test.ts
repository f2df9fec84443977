import { describe, expect, it } from 'vitest';
import { readmeMismatches } from './readme.js';
import { OptionTable } from './table.js';

const table = new OptionTable(
  [
    { key: 'port', flag: 'port', alias: 'p', type: 'integer', min: 1, max: 65535, default: 7878, description: 'port' },
    { key: 'timeoutMs', flag: 'timeout', type: 'integer', unit: 'ms', min: 0, max: 9, default: 5, description: 'timeout' },
    { key: 'mode', flag: 'mode', type: 'string', choices: ['a', 'b'], default: 'a', description: 'mode' },
    { key: 'warmup', flag: 'warmup', type: 'duration', default: '1s', description: 'warm-up' },
    { key: 'quiet', flag: 'quiet', type: 'boolean', default: false, description: 'quiet' },
    { key: 'threads', flag: 'threads', type: 'integer', default: 3, defaultText: 'available parallelism', description: 'threads' },
    { key: 'out', flag: 'out', type: 'string', required: true, description: 'file' },
    { key: 'token', flag: 'token', type: 'string', description: 'secret' },
    { key: 'lib', flag: 'lib', type: 'string', cli: false, description: 'library only' },
  ],
  'flag',
);

const good = `
# tool

| flag | unit | default | meaning |
|---|---|---|---|
| \`--port\`, \`-p\` | port | \`7878\` | server port |
| \`--timeout\` | ms | \`5\` | timeout |
| \`--mode\` | \`a\` \\| \`b\` | \`a\` | mode |
| \`--warmup\` | duration | \`1s\` | warm-up |
| \`--quiet\` | | off | no lines |
| \`--threads\` | | available parallelism | threads |
| \`--out\` (merge) | file | required | file |
| \`--token\` | | env \`TOKEN\`, else none | secret |
| \`-h\`, \`--help\` | | | usage |

| command | what |
|---|---|
| \`--not-a-flag-table\` | ignored: no flag/unit/default columns |
`;

describe('readmeMismatches', () => {
  it('is empty when every flag is documented with its alias, unit and default, and back', () => {
    expect(readmeMismatches(good, [table], ['help'])).toEqual([]);
  });

  it('names a flag missing from the README and one the tables lack', () => {
    const doc = good.replace(/^\| `--timeout`.*\n/m, '');
    expect(readmeMismatches(doc, [table], [])).toEqual([
      '--timeout: in the option table, missing from the README',
      '--help: README line 13 lists it, no option table has it',
    ]);
  });

  it('names a wrong default, unit and alias', () => {
    const doc = good.replace('| `--timeout` | ms | `5` |', '| `--timeout`, `-t` | s | `50` |');
    expect(readmeMismatches(doc, [table], ['help'])).toEqual([
      '--timeout: README line 7 gives alias(es) [t], the table []',
      '--timeout: README line 7 gives unit "s", the table "ms"',
      '--timeout: README line 7 gives default "`50`", the table `5`',
    ]);
  });

  it('reads durations as unit "duration", false booleans as off, and defaultText as written', () => {
    const doc = good.replace('| duration | `1s` |', '| ms | `1s` |').replace('| off | no lines', '| on | no lines').replace('available parallelism |', '`4` |');
    expect(readmeMismatches(doc, [table], ['help'])).toEqual([
      '--warmup: README line 9 gives unit "ms", the table "duration"',
      '--quiet: README line 10 gives default "on", the table `false` or off',
      '--threads: README line 11 gives default "`4`", the table available parallelism',
    ]);
  });
});
