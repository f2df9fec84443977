/** README and src/errors.ts must not drift apart (fastify's test/internals/errors.test.js). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('### Errors')).split(/\n#{2,3} /)[0]!;
/** `| \`Class\` | \`CODE\` | exit | …` rows of the Errors table. */
const rows = [...section.matchAll(/^\| `(\w+)` \| `(\w+)` \| (\d+) \|/gm)].map((m) => ({ name: m[1]!, code: m[2]!, exit: Number(m[3]) }));

describe('README "Errors" and src/errors.ts', () => {
  it('list the same stable codes', () => {
    expect(rows.map((r) => r.code).sort()).toEqual(Object.values(errors.LoadgenErrorCodes).sort());
  });

  it('list the same error classes (the base is named in the text)', () => {
    const classes = Object.entries(errors).filter(([, v]) => typeof v === 'function' && v.prototype instanceof errors.LoadgenError);
    expect(rows.map((r) => r.name).sort()).toEqual(classes.map(([name]) => name).sort());
    expect(section).toContain('`LoadgenError`');
  });

  it("give each class the exit status its instances carry", () => {
    const made: errors.LoadgenError[] = [
      new errors.UsageError('u'),
      new errors.TargetUnreachable('h', 1, 'ECONNREFUSED', ''),
      new errors.PlanMismatchError('a and b', ['connections: 1 vs 2']),
      new errors.ReportFormatError('r'),
      new errors.GeneratorError('g'),
      new errors.AgentsError('a'),
      new errors.StreamFailed('s'),
    ];
    expect(Object.fromEntries(made.map((e) => [e.name, [e.code, e.exitCode]]))).toEqual(
      Object.fromEntries(rows.map((r) => [r.name, [r.code, r.exit]])),
    );
  });
});
