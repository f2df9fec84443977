/**
 * The interactive session (and the `chat` subcommand, which is a session that joins a room first).
 * Lines come from node:readline, on a TTY or piped; each line is handled to completion before the next,
 * so piped input gets its replies in order. CHAT pushes are printed above the prompt with the line
 * being typed redrawn after them, so they never garble it.
 */
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Chat } from '@sockbench/protocol';
import type { Client } from '../client.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { formatStats } from './format-stats.js';
import { describeCommandError } from './report.js';

/** Words that end the session (BYE, exit 0), with or without a leading slash. */
export const QUIT_WORDS: ReadonlySet<string> = new Set(['quit', 'exit', 'salir']);

/** Help text of the session, one command per line. */
export const SESSION_HELP = [
  'a plain line     ECHO it (in a room: say it to the room)',
  '/join ROOM       join ROOM; plain lines then go to it',
  '/leave           leave the current room',
  '/say TEXT        say TEXT to the current room',
  '/ping            PING, prints the round-trip time',
  '/stats           the server\'s STATS as a table (the stats command prints JSON)',
  '/help            this list',
  'quit, exit, salir or Ctrl-D   say BYE and leave',
].join('\n');

/** Streams and settings of a session. */
export interface SessionIo {
  input: Readable;
  output: Writable;
  /** Where errors go (stderr). */
  errors: Writable;
  /** Line editing, a prompt and redraws: true when both ends are a terminal. */
  terminal: boolean;
  /** Resolves on SIGINT: the session says BYE and ends (exit 0). */
  interrupted?: Promise<void>;
}

/** Formats a CHAT push for the terminal: `[room] from: text`. */
export function formatChat(chat: Chat): string {
  return `[${chat.room}] ${chat.from}: ${chat.text}`;
}

/**
 * Runs a session on `client` until quit, end of input or the server closing. Prints the WELCOME
 * message first. With `room`, joins it before reading input (the `chat` subcommand).
 * @returns the exit code: 0 after BYE, 1 when the connection dropped or the room could not be joined
 */
export async function runSession(client: Client, io: SessionIo, room?: string): Promise<ExitCodeValue> {
  const { output, errors, terminal } = io;
  let currentRoom: string | undefined;
  let quitting = false;

  const rl = readline.createInterface({ input: io.input, output, terminal, prompt: '> ' });
  const setPrompt = (): void => rl.setPrompt(currentRoom === undefined ? '> ' : `${currentRoom}> `);
  const prompt = (): void => {
    if (terminal && !quitting) rl.prompt();
  };
  /** Prints a line above the one being typed (pushes may arrive while the user types). */
  const print = (line: string, to: Writable = output): void => {
    if (terminal) {
      readline.cursorTo(output, 0);
      readline.clearLine(output, 0);
      to.write(`${line}\n`);
      if (!quitting) rl.prompt(true);
    } else {
      to.write(`${line}\n`);
    }
  };
  const printError = (line: string): void => print(`error: ${line}`, errors);

  const welcome = client.welcome;
  if (welcome) {
    print(welcome.message);
    print(`(${welcome.server}, worker ${welcome.worker}, max payload ${welcome.maxPayload} bytes; /help lists commands)`);
  } else {
    print(`UDP to ${client.address}: plain lines are ECHOed, /ping works; rooms and /stats need TCP (/help lists commands)`);
  }

  client.on('chat', (chat) => print(formatChat(chat)));
  client.on('error', (err) => printError(describeCommandError(err)));

  let finish!: (code: ExitCodeValue) => void;
  const done = new Promise<ExitCodeValue>((resolve) => {
    finish = resolve;
  });
  client.once('close', (err) => {
    if (!quitting) {
      printError(`connection to ${client.address} closed by the server${err ? `: ${err.message}` : ''}`);
      quitting = true;
      finish(ExitCode.SERVER_ERROR);
    }
  });

  const quit = async (): Promise<void> => {
    if (quitting) return;
    quitting = true;
    try {
      if (client.transport === 'tcp') await client.bye();
    } catch (err) {
      printError(describeCommandError(err));
    }
    await client.close();
    finish(ExitCode.OK);
  };

  const handle = async (raw: string): Promise<void> => {
    const line = raw.trim();
    if (line === '') return;
    const word = line.startsWith('/') ? line.slice(1) : line;
    if (QUIT_WORDS.has(word.toLowerCase())) return quit();
    try {
      if (!line.startsWith('/')) {
        if (currentRoom !== undefined) await client.say(currentRoom, line);
        else print((await client.echo(line)).toString('utf8'));
        return;
      }
      const space = line.indexOf(' ');
      const command = space < 0 ? line : line.slice(0, space);
      const arg = space < 0 ? '' : line.slice(space + 1).trim();
      switch (command) {
        case '/join':
          if (arg === '') return printError('usage: /join ROOM');
          await client.join(arg);
          currentRoom = arg;
          setPrompt();
          print(`joined ${arg}`);
          return;
        case '/leave':
          if (currentRoom === undefined && arg === '') return printError('not in a room: /join ROOM first');
          await client.leave(arg || currentRoom!);
          print(`left ${arg || currentRoom!}`);
          if (arg === '' || arg === currentRoom) currentRoom = undefined;
          setPrompt();
          return;
        case '/say':
          if (currentRoom === undefined) return printError('not in a room: /join ROOM first');
          if (arg === '') return printError('usage: /say TEXT');
          await client.say(currentRoom, arg);
          return;
        case '/ping': {
          const rtt = await client.ping();
          print(`pong from ${client.address}: time=${rtt.toFixed(3)} ms`);
          return;
        }
        case '/stats':
          print(formatStats(await client.stats()));
          return;
        case '/help':
          print(SESSION_HELP);
          return;
        default:
          printError(`unknown command ${command}; /help lists them`);
      }
    } catch (err) {
      printError(describeCommandError(err));
    }
  };

  if (room !== undefined) {
    try {
      await client.join(room);
    } catch (err) {
      printError(`cannot join ${room}: ${describeCommandError(err)}`);
      rl.close();
      await client.close();
      return ExitCode.SERVER_ERROR;
    }
    currentRoom = room;
    setPrompt();
    print(`joined ${room}${client.options.name ? ` as ${client.options.name}` : ''}; lines you type are said to it`);
  }

  // One line at a time, in order: a piped burst of lines still gets its replies in order.
  let queue = Promise.resolve();
  rl.on('line', (line) => {
    queue = queue.then(async () => {
      if (quitting) return;
      await handle(line);
      prompt();
    });
  });
  rl.on('close', () => {
    // End of input (Ctrl-D, or the pipe closed): finish what was typed, then BYE.
    queue = queue.then(quit);
  });
  // Ctrl-C: on a terminal readline reports it here; piped, the process gets the signal.
  rl.on('SIGINT', () => rl.close());
  void io.interrupted?.then(() => rl.close());
  prompt();

  const code = await done;
  rl.close();
  return code;
}
