import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { yargsFailMessage } from './yargs-message.js';

/** The message yargs itself gives for `argv` against one choice option (no hand-written sample). */
async function yargsMessage(argv: string[]): Promise<string> {
  let got = '';
  await yargs(argv)
    .options({ dispatch: { type: 'string', choices: ['inline', 'pool'] }, mode: { type: 'string', choices: ['a', 'b'] } })
    .strict()
    .exitProcess(false)
    .fail((msg) => {
      got = msg;
    })
    .parseAsync();
  return got;
}

describe('yargsFailMessage', () => {
  it('names the flag, its choices and the value given for a bad choice', async () => {
    const raw = await yargsMessage(['--dispatch', 'threads']);
    expect(raw.split('\n')[0]).toBe('Invalid values:');
    expect(yargsFailMessage(raw)).toBe('--dispatch must be one of inline, pool, got "threads"');
  });

  it('gives one clause per bad flag', async () => {
    const raw = await yargsMessage(['--dispatch', 'x', '--mode', 'c']);
    expect(yargsFailMessage(raw)).toBe('--dispatch must be one of inline, pool, got "x"; --mode must be one of a, b, got "c"');
  });

  it('leaves other messages whole, on one line', async () => {
    expect(yargsFailMessage(await yargsMessage(['--bogus', '1']))).toBe('Unknown argument: bogus');
    expect(yargsFailMessage('first\n  second')).toBe('first second');
  });
});
