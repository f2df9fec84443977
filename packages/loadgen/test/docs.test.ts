/** README and option tables must not drift apart (the server's and the client's docs test). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readmeMismatches } from '@sockbench/options';
import { describe, expect, it } from 'vitest';
import { STREAM_OPTIONS } from '../src/stream/stream-options.js';
import { AGENT_OPTIONS, COMPARE_OPTIONS, DISTRIBUTE_OPTIONS, MERGE_OPTIONS, OUTPUT_OPTIONS, PLAN_OPTIONS, SLO_OPTIONS, SOCKET_OPTIONS, SWEEP_OPTIONS } from '../src/options.js';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

describe('README', () => {
  it('lists every flag of the option tables with its alias, unit and default, and no other', () => {
    expect(readmeMismatches(readme, [PLAN_OPTIONS, SOCKET_OPTIONS, STREAM_OPTIONS, OUTPUT_OPTIONS, SLO_OPTIONS, COMPARE_OPTIONS, SWEEP_OPTIONS, MERGE_OPTIONS, DISTRIBUTE_OPTIONS, AGENT_OPTIONS])).toEqual([]);
  });
});
