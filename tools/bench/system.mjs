// The machine and the tools: what results.md names, and installing the reference tools when missing.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Reference tools the bench runs, with the Debian package that provides each. */
export const TOOLS = [
  { cmd: 'sockperf', pkg: 'sockperf', version: ['--version'] },
  { cmd: 'iperf3', pkg: 'iperf3', version: ['--version'] },
  { cmd: 'redis-server', pkg: 'redis-server', version: ['--version'] },
  { cmd: 'redis-benchmark', pkg: 'redis-tools', version: ['--version'] },
];

function has(cmd) {
  return spawnSync('bash', ['-c', 'command -v "$1"', 'bash', cmd], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs the missing tools with apt-get when running as root; otherwise throws an Error naming
 * the command to run. `say` receives progress lines.
 */
export function ensureTools(say) {
  const missing = TOOLS.filter((t) => !has(t.cmd));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => t.pkg))];
  const cmds = missing.map((t) => t.cmd).join(', ');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = has('apt-get');
  if (!isRoot || !hasApt) {
    throw new Error(
      `missing ${cmds}. Install them first: sudo apt-get install -y ${pkgs.join(' ')}` +
        (hasApt ? '' : ' (or your distribution\'s packages of the same names)'),
    );
  }
  say(`installing ${pkgs.join(' ')} (missing ${cmds})…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', ...pkgs], { stdio: 'inherit', env, timeout: 300_000 });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env, timeout: 300_000 });
    r = spawnSync('apt-get', ['install', '-y', ...pkgs], { stdio: 'inherit', env, timeout: 300_000 });
  }
  const still = TOOLS.filter((t) => !has(t.cmd));
  if (r.status !== 0 || still.length > 0) {
    throw new Error(`apt-get install -y ${pkgs.join(' ')} failed; still missing: ${still.map((t) => t.cmd).join(', ') || 'none'}`);
  }
  // A freshly installed redis-server package starts a system service on 6379; the bench never uses
  // it (it starts its own on a free port) and leaves the system's service as the package set it up.
}

/** First line of `cmd --version` for each tool, plus Node. */
export function toolVersions() {
  const out = { node: process.version };
  for (const t of TOOLS) {
    const r = spawnSync(t.cmd, t.version, { encoding: 'utf8', timeout: 5000 });
    // eslint-disable-next-line no-control-regex
    const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '');
    out[t.cmd] = text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'unknown';
  }
  return out;
}

/** CPU model, logical cores, kernel, memory, and whether it looks like a VM. */
export function machine() {
  let model = os.cpus()[0]?.model ?? 'unknown';
  let hypervisor = false;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? model;
    hypervisor = /^flags\s*:.*\bhypervisor\b/m.test(info);
  } catch {
    // not Linux: os.cpus() is enough
  }
  return {
    cpuModel: model,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    hypervisor,
    hostname: os.hostname(),
  };
}

/** The commit the bench ran from (with "+dirty" when the tree had changes), or null. */
export function gitCommit(cwd) {
  const r = spawnSync('git', ['describe', '--always', '--dirty=+dirty', '--abbrev=12'], { cwd, encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() : null;
}
