// The packages the bench runs must be built (dist/). Other people may rebuild them while the bench
// runs (a package's build starts with rm -rf dist), so every start waits for dist/ to be back.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.mjs';

const BUILT = ['packages/protocol/dist/index.js', 'packages/client/dist/index.js', 'packages/server/dist/cli.js', 'packages/loadgen/dist/cli.js'];
const missing = () => BUILT.filter((f) => !existsSync(join(ROOT, f)));
const defaultSay = (line) => process.stderr.write(`bench: ${line}\n`);

/** Waits (up to 90 s) while a package's dist/ is missing; throws past that. */
export async function waitForBuild(say = defaultSay) {
  for (let waited = 0; missing().length > 0; waited += 1000) {
    if (waited === 0) say(`waiting for ${missing().join(', ')} (being rebuilt?)…`);
    if (waited >= 90_000) throw new Error(`${missing().join(', ')} still missing after 90 s: run npm run build`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Builds the packages when a dist/ is missing (after waiting a minute for someone else's build). */
export function ensureBuilt(say = defaultSay) {
  for (let i = 0; i < 12 && missing().length > 0; i++) {
    if (i === 0) say(`waiting for ${missing().join(', ')} (a build may be running)…`);
    spawnSync('sleep', ['5']);
  }
  if (missing().length === 0) return;
  say('building the packages (npx nx run-many -t build)…');
  const b = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false' },
    timeout: 300_000,
  });
  if (b.status !== 0 || missing().length > 0) throw new Error(`build failed (exit ${b.status}); run npm run build`);
}
