/** The README names every error code and class of src/errors.ts, and no code the module lacks. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as options from '../src/index.js';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

describe('README', () => {
  it('lists every error code and error class, and no code the module lacks', () => {
    for (const code of Object.values(options.OptionErrorCodes)) expect(readme, code).toContain(`\`${code}\``);
    for (const name of ['OptionTypeError', 'OptionRangeError']) expect(readme, name).toContain(`\`${name}\``);
    const documented = new Set(readme.match(/SOCKBENCH_[A-Z_]+/g));
    expect([...documented].sort()).toEqual(Object.values(options.OptionErrorCodes).sort());
  });
});
