import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode, MessageType } from '../src/constants.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url)), 'utf8');

/** Rows of the markdown table under `heading`: the first two cells of each. */
function tableRows(heading: string): Array<[string, string]> {
  const start = doc.indexOf(heading);
  expect(start, `heading ${heading} in docs/protocol.md`).toBeGreaterThanOrEqual(0);
  const rows: Array<[string, string]> = [];
  let inTable = false;
  for (const line of doc.slice(start).split('\n').slice(1)) {
    if (line.startsWith('|')) {
      inTable = true;
      const cells = line.split('|').map((c) => c.trim());
      if (cells[1] && !/^-+$/.test(cells[1]) && cells[1] !== 'type' && cells[1] !== 'code') {
        rows.push([cells[1], cells[2] ?? '']);
      }
    } else if (inTable) break;
  }
  return rows;
}

const enumPairs = (e: Record<string, string | number>): Array<[string, number]> =>
  Object.entries(e).filter((kv): kv is [string, number] => typeof kv[1] === 'number');

describe('docs/protocol.md and the enums agree', () => {
  it('every message type in the doc exists in MessageType, and back', () => {
    const documented = tableRows('## Message types').map(([hex, name]) => [name, Number.parseInt(hex, 16)]);
    expect(documented.length).toBeGreaterThanOrEqual(12);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(enumPairs(MessageType)));
  });

  it('every error code in the doc exists in ErrorCode, and back', () => {
    const documented = tableRows('## Error codes').map(([code, name]) => [name, Number.parseInt(code, 10)]);
    expect(documented.length).toBeGreaterThanOrEqual(9);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(enumPairs(ErrorCode)));
  });
});
