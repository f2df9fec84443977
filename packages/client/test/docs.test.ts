/** README, option table and errors module must not drift apart (fastify's errors-in-docs test). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import { CONNECT_OPTION_TABLE } from '../src/options.js';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

describe('README', () => {
  it('lists every error class of src/errors.ts', () => {
    const classes = Object.entries(errors).filter(
      ([, v]) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof Error,
    );
    expect(classes.length).toBeGreaterThanOrEqual(7);
    for (const [name] of classes) expect(readme, name).toContain(`\`${name}\``);
  });

  it('the Errors table lists every stable code of src/errors.ts, and only those', () => {
    const section = readme.slice(readme.indexOf('### Errors')).split(/\n#{2,3} /)[0]!;
    const documented = [...section.matchAll(/^\| `\w+` \| `(\w+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(errors.ClientErrorCodes).sort());
  });

  it('lists every CLI flag of the option table with its default', () => {
    for (const row of CONNECT_OPTION_TABLE) {
      if (row.key === 'transport') {
        expect(readme).toContain('`--udp`');
        continue;
      }
      const line = readme.split('\n').find((l) => l.includes(`\`--${row.flag}\``) && l.startsWith('|'));
      expect(line, row.flag).toBeDefined();
      if (row.default !== undefined) expect(line, row.flag).toContain(`\`${String(row.default)}\``);
      if (row.unit) expect(line, row.flag).toContain(`| ${row.unit} |`);
    }
  });
});
