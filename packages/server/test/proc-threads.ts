/**
 * Test helpers reading this process's threads from /proc (Linux): their niceness and scheduling
 * policy, as the kernel holds them (proc(5), /proc/self/task/TID/stat fields 19 and 41).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** util-linux's chrt runs here (the pool's SCHED_IDLE goes through it; Debian always has it). */
export const HAS_CHRT = process.platform === 'linux' && spawnSync('chrt', ['--version'], { stdio: 'ignore' }).status === 0;

/** SCHED_OTHER and SCHED_IDLE as /proc writes a policy (sched.h). */
export const SCHED_OTHER = 0;
export const SCHED_IDLE = 5;

/** Field `n` (1-based, proc(5)) of a thread's stat line; the command name (field 2) may hold spaces. */
function statField(tid: string, n: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3]);
}

/** The value of stat field `n` for each thread of this process (threads that ended meanwhile are skipped). */
function fieldOfThreads(n: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.push(statField(tid, n));
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

/** How many threads of this process run under scheduling policy `policy` (stat field 41). */
export function threadsWithPolicy(policy: number): number {
  return fieldOfThreads(41).filter((p) => p === policy).length;
}
