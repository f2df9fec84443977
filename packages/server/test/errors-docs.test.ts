/** README and src/errors.ts must not drift apart (fastify's test/internals/errors.test.js). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('### Errors')).split(/\n#{2,3} /)[0]!;
/** `| \`Class\` | \`CODE\` | …` rows of the Errors table. */
const rows = [...section.matchAll(/^\| `(\w+)` \| `(\w+)` \|/gm)].map((m) => ({ name: m[1]!, code: m[2]! }));

describe('README "Errors" and src/errors.ts', () => {
  it('list the same stable codes', () => {
    expect(rows.map((r) => r.code).sort()).toEqual(Object.values(errors.SockbenchServerErrorCodes).sort());
  });

  it('list the same error classes (the base is named in the text)', () => {
    const classes = Object.entries(errors).filter(([, v]) => typeof v === 'function' && v.prototype instanceof errors.SockbenchServerError);
    expect(rows.map((r) => r.name).sort()).toEqual(classes.map(([name]) => name).sort());
    expect(section).toContain('`SockbenchServerError`');
  });
});
