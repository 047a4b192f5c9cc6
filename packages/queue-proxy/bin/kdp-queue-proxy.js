#!/usr/bin/env -S node --max-semi-space-size=1
// Committed shim so the bin exists (and is executable) before `npm run build` produced dist/.
// The V8 flag caps the young generation at 1 MiB per semi-space: this process runs in every pod, and it allocates
// little per request, so a small nursery costs little throughput and saves ~10-15 MB of RSS under load
// (bench/results/queue-proxy.md). Launchers that start `node` themselves pass QUEUE_PROXY_NODE_FLAGS (src/node-flags.ts).
// It runs the single-file bundle (scripts/bundle.mjs: ~20 ms faster startup) unless that is missing or older than
// the compiled sources (a `tsc -b` without the bundle step), so a stale bundle never runs.
import { statSync } from 'node:fs';

const mtime = (rel) => {
  try {
    return statSync(new URL(rel, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
await import(mtime('../dist/bundle/main.js') >= mtime('../dist/main.js') ? '../dist/bundle/main.js' : '../dist/main.js');
