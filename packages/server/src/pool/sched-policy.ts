/**
 * The pool threads' scheduling policy (sched(7)): `other` is Linux's default (SCHED_OTHER, weighted by
 * nice), `idle` is SCHED_IDLE, which the kernel runs only on CPU time no other policy wants: a woken
 * event loop preempts an idle-policy thread at once, where a nice 19 one may still run out its slice
 * first (the tail of PING while COMPUTE saturates the cores, issue 16). Node has no call for
 * sched_setscheduler(2), so a thread asks util-linux's `chrt --idle --pid 0 TID` to set its own, as
 * `chrt` would from a shell; lowering one's own policy needs no privilege (sched(7), since Linux 2.6.39).
 */
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';

/** The policies `--pool-policy` takes, as chrt(1) names them. */
export const POOL_POLICIES = ['other', 'idle'] as const;
/** One of {@link POOL_POLICIES}. */
export type PoolPolicy = (typeof POOL_POLICIES)[number];

/** What the thread got: `idle`, or why it kept SCHED_OTHER (and its niceness). */
export type PolicyOutcome = { ok: true } | { ok: false; reason: string };

/**
 * The calling thread's kernel thread id, from `/proc/thread-self` (a link to `PID/task/TID`, Linux ≥ 3.17).
 * @throws Error where /proc/thread-self is absent (not Linux)
 */
export function threadId(): number {
  const link = readlinkSync('/proc/thread-self');
  const tid = Number(link.slice(link.lastIndexOf('/') + 1));
  if (!Number.isSafeInteger(tid) || tid <= 0) throw new Error(`/proc/thread-self links to ${JSON.stringify(link)}, not PID/task/TID`);
  return tid;
}

/**
 * Moves the calling thread to SCHED_IDLE (`chrt --idle --pid 0 TID`). Never throws: off Linux, without
 * chrt, or refused, the thread keeps SCHED_OTHER and the outcome says why.
 */
export function enterIdlePolicy(): PolicyOutcome {
  if (process.platform !== 'linux') return { ok: false, reason: `SCHED_IDLE is Linux's; this is ${process.platform}` };
  try {
    execFileSync('chrt', ['--idle', '--pid', '0', String(threadId())], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5_000 });
    return { ok: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    const said = e.stderr?.toString().trim();
    return { ok: false, reason: e.code === 'ENOENT' ? 'chrt (util-linux) is not installed' : said || e.message };
  }
}
