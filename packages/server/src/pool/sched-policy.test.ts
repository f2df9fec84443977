import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { HAS_CHRT, SCHED_IDLE, threadsWithPolicy } from '../../test/proc-threads.js';
import { threadId, type PolicyOutcome } from './sched-policy.js';

/** The built module, as pool threads load it. */
const BUILT = fileURLToPath(new URL('../../dist/pool/sched-policy.js', import.meta.url));

/** Runs enterIdlePolicy() on a fresh thread with `env`; resolves its outcome and the policy counts seen while it lived. */
function onThread(env: NodeJS.ProcessEnv): Promise<{ outcome: PolicyOutcome; idleWhileAlive: number }> {
  const code = `const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(BUILT)}).then((m) => { parentPort.postMessage(m.enterIdlePolicy()); parentPort.once('message', () => process.exit(0)); });`;
  const w = new Worker(code, { eval: true, env });
  return new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('message', (outcome: PolicyOutcome) => {
      const idleWhileAlive = threadsWithPolicy(SCHED_IDLE);
      w.postMessage('done');
      w.once('exit', () => resolve({ outcome, idleWhileAlive }));
    });
  });
}

describe.runIf(process.platform === 'linux')('sched-policy', () => {
  it('threadId() of the main thread is the process id (/proc/thread-self)', () => {
    expect(threadId()).toBe(process.pid);
  });

  it.runIf(HAS_CHRT)('enterIdlePolicy() moves its own thread, and only it, to SCHED_IDLE', async () => {
    const before = threadsWithPolicy(SCHED_IDLE);
    const { outcome, idleWhileAlive } = await onThread(process.env);
    expect(outcome).toEqual({ ok: true });
    expect(idleWhileAlive).toBe(before + 1);
    expect(threadsWithPolicy(SCHED_IDLE)).toBe(before);
  });

  it('without chrt on PATH the thread keeps SCHED_OTHER and the outcome says why', async () => {
    const before = threadsWithPolicy(SCHED_IDLE);
    const { outcome, idleWhileAlive } = await onThread({ ...process.env, PATH: '/nonexistent' });
    expect(outcome).toEqual({ ok: false, reason: 'chrt (util-linux) is not installed' });
    expect(idleWhileAlive).toBe(before);
  });
});
