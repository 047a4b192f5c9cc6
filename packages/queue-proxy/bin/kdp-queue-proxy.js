#!/usr/bin/env -S node --max-semi-space-size=1
// Committed shim so the bin exists (and is executable) before `npm run build` produced dist/.
// The V8 flag caps the young generation at 1 MiB per semi-space: this process runs in every pod, and it allocates
// little per request, so a small nursery costs little throughput and saves ~10-15 MB of RSS under load
// (bench/results/queue-proxy.md). Launchers that start `node` themselves pass QUEUE_PROXY_NODE_FLAGS (src/node-flags.ts).
import '../dist/main.js';
