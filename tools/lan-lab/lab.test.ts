import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const LAB = fileURLToPath(new URL('./lab.sh', import.meta.url));

/** Why the lab cannot run here, or null when it can: it needs root and working `ip netns`. */
function whyNot(): string | null {
  if (process.getuid?.() !== 0) return 'not root: network namespaces need root';
  const probe = `sblprobe${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.error) return `ip is unavailable (${add.error.message}): apt-get install iproute2`;
  if (add.status !== 0) return `ip netns is unavailable here: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; pid: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [LAB, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // SIGTERM runs the script's trap, which removes what it created.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, pid: child.pid ?? -1, stdout, stderr });
    });
  });
}

function leftovers(pid: number): string[] {
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  return [...ns.split('\n'), ...links.split('\n')].filter((l) => l.includes(`sbl-srv-${pid}`) || l.includes(`sbl-gen-${pid}`) || l.includes(`sbls${pid}`));
}

describe('lan-lab usage', () => {
  it('--help says what it creates, and exits 0', async () => {
    const r = await run(['--help'], 10_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('network namespaces  sbl-srv-PID and sbl-gen-PID');
    expect(r.stdout).toContain('tc qdisc tbf');
  });

  it('an unknown option exits 2 with one line', async () => {
    const r = await run(['--bogus'], 10_000);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('lab: unknown option --bogus (see --help)');
  });
});

const reason = whyNot();

describe('lan-lab: a 3-second lab across two namespaces', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const title = 'prints TCP vs UDP over 10.77.0.1, UDP loses datagrams over the link capacity, streams both ways beside iperf3, and leaves nothing behind';
  it.skipIf(reason !== null)(reason === null ? title : `${title} (skipped: ${reason})`, async () => {
    dir = await mkdtemp(join(tmpdir(), 'sockbench-lab-'));
    const out = join(dir, 'lab');
    const r = await run(['--duration', '3', '--warmup', '1', '--stream-duration', '1', '--out', out], 150_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^tcp: 10\.77\.0\.1:7000 .*closed loop, pipeline 16/m);
    expect(r.stderr).toMatch(/^udp: 10\.77\.0\.1:7000 .*open loop [\d,]+ req\/s/m);
    expect(r.stderr).toMatch(/^loss +0\.00% +\d+\.\d+%$/m);

    const report = JSON.parse(await readFile(`${out}.json`, 'utf8')) as {
      runs: Array<{ plan: { transport: string; host: string }; counters: { completed: number; timeouts: number }; results: { lossPercent: number } }>;
    };
    const [tcp, udp] = report.runs;
    expect(tcp!.plan).toMatchObject({ transport: 'tcp', host: '10.77.0.1' });
    expect(udp!.plan).toMatchObject({ transport: 'udp', host: '10.77.0.1' });
    expect(tcp!.counters.completed).toBeGreaterThan(0);
    expect(tcp!.results.lossPercent).toBe(0);
    expect(udp!.counters.timeouts).toBeGreaterThan(0);
    expect(udp!.results.lossPercent).toBeGreaterThan(0);
    expect(await readFile(`${out}.html`, 'utf8')).toContain('<svg');
    // The stream section: every transport and direction, the receiver's figures, written per test.
    for (const t of ['tcp-up', 'tcp-down', 'udp-up', 'udp-down']) {
      const stream = JSON.parse(await readFile(`${out}-stream-${t}.json`, 'utf8')) as { runs: Array<{ plan: { host: string }; stream: { direction: string; sender: { messages: number }; receiver: { messages: number; lost: number } } }> };
      const run = stream.runs[0]!;
      expect(run.plan.host).toBe('10.77.0.1');
      expect(run.stream.direction).toBe(t.endsWith('up') ? 'up' : 'down');
      expect(run.stream.receiver.messages).toBeGreaterThan(0);
      if (t.startsWith('tcp')) expect(run.stream.receiver.lost).toBe(0);
    }
    if (spawnSync('iperf3', ['--version']).status === 0) {
      expect(r.stderr).toMatch(/^tcp up +[\d.]+ [kMG]?bit\/s +[\d.]+ [kMG]?bit\/s +[\d.]+×/m);
      expect(r.stderr).toMatch(/^udp down +[\d.]+ [kMG]?bit\/s +[\d.]+ [kMG]?bit\/s +[\d.]+× +[\d.]+% +[\d.]+% \/ [\d.]+%/m);
    }
    expect(leftovers(r.pid)).toEqual([]);
  }, 180_000);
});
