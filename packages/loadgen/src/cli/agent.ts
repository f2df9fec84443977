/** `agent`: a generator machine waiting on Redis for plans. */
import { defaultAgentName, runAgent } from '../agents/agent.js';
import { UsageError } from '../errors.js';
import { AGENT_OPTIONS } from '../options.js';
import { NAME, interrupt, say } from './context.js';

/** `agent`: waits for plans until SIGINT or SIGTERM (the run under way is ended, drained and reported). */
export async function agentCommand(argv: Record<string, unknown>): Promise<number> {
  const a = AGENT_OPTIONS.fill(AGENT_OPTIONS.fromArgv(argv));
  const name = a.name ?? defaultAgentName();
  if (!/^[A-Za-z0-9._:@-]{1,200}$/.test(name)) throw new UsageError(`--name must be 1..200 of A-Z a-z 0-9 . _ : @ -, got ${JSON.stringify(name)}`);
  const quit = new Promise<void>((resolveQuit) => {
    interrupt.endCurrent = resolveQuit;
    process.once('SIGTERM', () => resolveQuit());
  });
  await runAgent({ redis: a.redis, name, log: (line) => say(`${NAME}: ${line}`), quit });
  return 0;
}
