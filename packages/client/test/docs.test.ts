/** README, option table and errors module must not drift apart (fastify's errors-in-docs test). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeMismatches } from '@sockbench/options';
import { CLI_OPTIONS, COMPUTE_OPTIONS, PING_OPTIONS } from '../src/cli/command-options.js';
import * as errors from '../src/errors.js';
import { CONNECT_OPTIONS } from '../src/options.js';

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

  it('lists every flag of the option tables (connection, --udp, ping, compute) with its alias, unit and default, and no other', () => {
    expect(readmeMismatches(readme, [CONNECT_OPTIONS, CLI_OPTIONS, PING_OPTIONS, COMPUTE_OPTIONS], ['help'])).toEqual([]);
  });
});
