import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode, FATAL_ERROR_CODES, MessageType, isFatalError } from '../src/constants.js';
import * as errors from '../src/errors.js';

const read = (path: string): string => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');
const doc = read('../../../docs/protocol.md');
const readme = read('../README.md');

/** Rows of the first markdown table under `heading` in `text`, header and rule rows left out: every cell of each. */
function tableRows(text: string, heading: string): string[][] {
  const start = text.indexOf(heading);
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (line.startsWith('|')) {
      const cells = line.split('|').slice(1, -1).map((c) => c.trim());
      if (inTable && !/^-+$/.test(cells[0] ?? '')) rows.push(cells);
      inTable = true; // the first row is the header
    } else if (inTable) break;
  }
  return rows;
}

const enumPairs = (e: Record<string, string | number>): Array<[string, number]> =>
  Object.entries(e).filter((kv): kv is [string, number] => typeof kv[1] === 'number');

describe('docs/protocol.md and the enums agree', () => {
  it('every message type in the doc exists in MessageType, and back', () => {
    const documented = tableRows(doc, '## Message types').map(([hex, name]) => [name, Number.parseInt(hex!, 16)]);
    expect(documented.length).toBeGreaterThanOrEqual(12);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(enumPairs(MessageType)));
  });

  it('every error code in the doc exists in ErrorCode, and back', () => {
    const documented = tableRows(doc, '## Error codes').map(([code, name]) => [name, Number.parseInt(code!, 10)]);
    expect(documented.length).toBeGreaterThanOrEqual(9);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(enumPairs(ErrorCode)));
  });

  it('the codes the doc calls fatal are FATAL_ERROR_CODES', () => {
    const rows = tableRows(doc, '## Error codes');
    // Each "fatal" cell opens with yes, no or never; only a plain yes is fatal for every occurrence
    // (BUSY's "no for a full pool queue; yes when …" is decided per case by the server).
    for (const [, name, fatal] of rows) expect(fatal, name).toMatch(/^(yes|no|never)\b/);
    const documented = rows.filter(([, , fatal]) => /^yes\b/.test(fatal!)).map(([code]) => Number.parseInt(code!, 10));
    expect(documented.length).toBeGreaterThan(0);
    expect(documented.sort()).toEqual([...FATAL_ERROR_CODES].sort());
    for (const [code, name, fatal] of rows) expect(isFatalError(Number.parseInt(code!, 10)), name).toBe(/^yes\b/.test(fatal!));
  });
});

describe('README and src/errors.ts agree (fastify test/internals/errors.test.js)', () => {
  const rows = tableRows(readme, '## Errors').map((cells) => cells.map((c) => c.replaceAll('`', '')));

  it('the Errors table lists every stable code, and only those', () => {
    expect(rows.map(([, code]) => code).sort()).toEqual(Object.values(errors.ProtocolErrorCodes).sort());
  });

  it('the Errors table lists every error class but the base, and only those', () => {
    const classes = Object.entries(errors)
      .filter(([, v]) => typeof v === 'function' && v.prototype instanceof errors.ProtocolError)
      .map(([name]) => name);
    expect(rows.map(([name]) => name).sort()).toEqual(classes.sort());
  });
});
