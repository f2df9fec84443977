#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm run build`, which `npm ci` runs through `prepare`).
const entry = new URL('../dist/cli.js', import.meta.url);
try {
  await import(entry.href);
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(entry.pathname)) {
    console.error('sockbench-loadgen is not built yet: run `npm run build` at the repository root');
    process.exit(1);
  }
  throw err;
}
