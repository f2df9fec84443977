/**
 * The session with line editing on (what a TTY gets), driven in-process through streams: a CHAT push
 * that lands while a line is half typed is printed above it, and the half-typed line survives.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../src/index.js';
import { runSession } from '../src/cli/interactive.js';
import { closeAll, onCleanup, startServer } from './helpers.js';

afterEach(closeAll);

describe('interactive session on a terminal', () => {
  it('prints a CHAT push above the line being typed and redraws prompt and typed text', async () => {
    const { port } = await startServer();
    const ana = await connect({ port, name: 'ana' });
    const bob = await connect({ port, name: 'bob' });
    onCleanup(() => Promise.all([ana.close(), bob.close()]));
    const input = new PassThrough();
    const output = new PassThrough();
    let out = '';
    let waiter: (() => void) | undefined;
    output.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      waiter?.();
    });
    const waitFor = (s: string): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => (out.includes(s) ? resolve() : void (waiter = check));
        check();
      });

    const session = runSession(ana, { input, output, errors: output, terminal: true }, 'lobby');
    await waitFor('lobby> ');
    await bob.join('lobby');
    input.write('hel'); // typed, not yet entered (echoed one key at a time)
    await waitFor('hel');
    await bob.say('lobby', 'hi ana');
    await waitFor('[lobby] bob: hi ana\n');
    const at = out.indexOf('[lobby] bob: hi ana\n');
    // Cursor to column 1 (ESC[1G) and clear the whole line (ESC[2K) before the push…
    const ESC = '\u001b';
    expect(out.slice(0, at).endsWith(`${ESC}[1G${ESC}[2K`)).toBe(true);
    // …then the prompt and the half-typed text come back under it.
    expect(out.slice(at)).toMatch(/lobby> hel/);
    const said = once(bob, 'chat');
    input.write('lo\n');
    expect((await said)[0]).toEqual({ room: 'lobby', from: 'ana', text: 'hello' });
    input.end();
    expect(await session).toBe(0);
    expect(ana.closed).toBe(true);
  });
});
