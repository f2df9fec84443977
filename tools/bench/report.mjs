// results.md and results.json from one run.
import { previousCell } from './previous.mjs';
import { fmtUs } from './table.mjs';

const esc = (s) => String(s).replaceAll('|', '\\|');

/** The JSON document written to results.json. */
export function resultsJson(run) {
  return {
    schema: 'sockbench.bench.results',
    version: 1,
    ...run,
  };
}

/** The Markdown of results.md. */
export function resultsMarkdown(run) {
  const { machine: m, versions: v } = run;
  const out = [];
  const p = (s = '') => out.push(s);
  p('# sockbench against the reference tools');
  p();
  p(
    `Measured by \`npm run bench\` (tools/bench/run.mjs${run.quick ? ' --quick' : ''}) on ${run.date} in ${run.durationSec.toFixed(0)} s, ` +
      `everything on 127.0.0.1${run.commit ? `, sockbench at ${run.commit}` : ''}.`,
  );
  p();
  p(
    `**Machine:** ${m.cpuModel}, ${m.cores} logical cores, ${m.memoryGiB} GiB, ${m.kernel}` +
      `${m.hypervisor ? ' (a virtual machine)' : ''}. ${run.machineNote}`,
  );
  p();
  p(`**Versions:** ${Object.entries(v).map(([k, x]) => `${k}: ${x}`).join('; ')}.`);
  p();
  p('## Results');
  p();
  p(
    'Ratio = sockbench ÷ reference, from the same run, side by side. Latencies are full round trips ' +
      '(p50 / p99 / p99.9); for latency and memory lower is better, for rates higher is better.',
  );
  p();
  const prev = run.previous;
  p(
    prev
      ? `Previous: the committed bench/results.json, measured ${prev.date ?? 'at an unknown date'}${prev.commit ? ` at ${prev.commit}` : ''}${prev.quick ? ' (--quick)' : ''}; its sockbench figure (and ratio) for the same row, — for a row it did not have.`
      : 'Previous: no committed bench/results.json to compare with.',
  );
  p();
  p('| step | sockbench | figure | reference | figure | ratio | previous figure (ratio) | target |');
  p('|---|---|---:|---|---:|---:|---:|---|');
  for (const r of run.rows) {
    p(`| ${esc(r.step)} | ${esc(r.measure)} | ${esc(r.sockbench)} | ${esc(r.reference)} | ${esc(r.referenceFigure)} | ${esc(r.ratio)} | ${esc(previousCell(r))} | ${esc(r.target)} |`);
  }
  p();
  const targets = run.rows.filter((r) => r.target);
  p(`Targets: ${targets.map((r) => `${r.step} ${r.target.replace(/:.*/, '')} → **${r.met === null ? 'not measured' : r.met ? 'met' : 'missing'}**`).join('; ')}.`);
  p();
  const tp = run.figures?.throughput;
  if (tp) {
    const lines = [
      ['sockbench-loadgen → sockbench-server, ECHO 64 B', tp['loadgen→sockbench echo 64']],
      ['sockbench-loadgen → sockbench-server, ECHO 1 KiB', tp['loadgen→sockbench echo 1024']],
      ['redis-benchmark → redis-server, PING', tp['redis-benchmark→redis pipelined']],
    ].filter(([, f]) => f?.cpu);
    if (lines.length) {
      p('### Where the CPU went in step 2 (50 × 16 pipelined)');
      p();
      p(
        'Cores used by each side in the middle of its run and CPU time per request, user space + kernel ' +
          '(utime and stime of every thread, /proc/PID/stat). Client and server share the same 2 cores, so together they cannot use more than 2.',
      );
      p();
      p('| run | req/s | server cores | server µs/req (user + kernel) | client cores | client µs/req (user + kernel) |');
      p('|---|---:|---:|---:|---:|---:|');
      const c = (v) => (v === null || v === undefined ? '—' : v.total.toFixed(2));
      const us = (v) => (v === null || v === undefined ? '—' : `${v.total.toFixed(2)} (${v.user.toFixed(2)} + ${v.sys.toFixed(2)})`);
      for (const [name, f] of lines) {
        p(`| ${name} | ${Math.round(f.rps).toLocaleString('en-US')} | ${c(f.cpu.serverCores)} | ${us(f.cpu.serverUsPerRequest)} | ${c(f.cpu.clientCores)} | ${us(f.cpu.clientUsPerRequest)} |`);
      }
      p();
    }
  }
  if (run.udpSteps?.length) {
    p('### UDP open-loop steps (sockbench-loadgen → sockbench-server, 64 B ECHO)');
    p();
    p('| intended req/s | achieved req/s | loss | p50 | p99 | holds |');
    p('|---:|---:|---:|---:|---:|---|');
    for (const s of run.udpSteps) {
      p(`| ${s.rate.toLocaleString('en-US')} | ${Math.round(s.rps).toLocaleString('en-US')} | ${s.lossPercent.toFixed(2)} % | ${fmtUs(s.p50)} | ${fmtUs(s.p99)} | ${s.held ? 'yes' : 'no'} |`);
    }
    p();
  }
  p('## How it was measured');
  p();
  for (const n of run.notes) p(`- ${n}`);
  p();
  if (run.skipped.length) {
    p('## Skipped');
    p();
    for (const s of run.skipped) p(`- ${s.what}: ${s.why}`);
    p();
  }
  if (run.errors.length) {
    p('## Errors');
    p();
    for (const e of run.errors) p(`- ${e.what}: ${e.error.split('\n')[0]}`);
    p();
  }
  p('## Commands, in the order they ran');
  p();
  p('From the repository root; ports are free ones picked at run time. Servers were stopped (SIGTERM to their process group) after their step.');
  p();
  for (const s of run.steps) {
    p(`### ${s.title}`);
    p();
    p('```sh');
    for (const c of s.commands) p(c);
    p('```');
    p();
  }
  return out.join('\n');
}

