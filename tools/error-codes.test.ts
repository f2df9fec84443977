/**
 * One error-code scheme across the packages (issue 10, undici's lib/core/errors.js as the model):
 * every stable code is `SOCKBENCH_<NAME>` and names one failure in one package. Each package's own
 * test checks its codes against its README; this one checks them against each other.
 */
import { ClientErrorCodes } from '@sockbench/client';
import { LoadgenErrorCodes } from '@sockbench/loadgen';
import { OptionErrorCodes } from '@sockbench/options';
import { ProtocolErrorCodes } from '@sockbench/protocol';
import { SockbenchServerErrorCodes } from '@sockbench/server';
import { describe, expect, it } from 'vitest';

const tables: Record<string, Record<string, string>> = {
  '@sockbench/protocol': ProtocolErrorCodes,
  '@sockbench/options': OptionErrorCodes,
  '@sockbench/client': ClientErrorCodes,
  '@sockbench/server': SockbenchServerErrorCodes,
  '@sockbench/loadgen': LoadgenErrorCodes,
};

describe('stable error codes', () => {
  it('are SOCKBENCH_<NAME>, the name being the key of the table', () => {
    for (const [pkg, table] of Object.entries(tables)) {
      for (const [key, code] of Object.entries(table)) {
        expect(code, `${pkg} ${key}`).toMatch(/^SOCKBENCH_[A-Z0-9]+(_[A-Z0-9]+)*$/);
        expect(code.endsWith(`_${key}`), `${pkg}: ${key} → ${code}`).toBe(true);
      }
    }
  });

  it('are unique across the packages', () => {
    const owner = new Map<string, string>();
    for (const [pkg, table] of Object.entries(tables)) {
      for (const code of Object.values(table)) {
        expect(owner.get(code), `${code} in ${pkg}`).toBeUndefined();
        owner.set(code, pkg);
      }
    }
    expect(owner.size).toBeGreaterThanOrEqual(15);
  });
});
