// Bundles the compiled queue-proxy (dist/main.js and its @kdp/core imports) into dist/bundle/.
// Why: the sidecar's startup is cold-start latency, and loading ~40 small ES modules costs ~1 ms each; one bundle
// starts ~20 ms faster (bench/results/cold-start.md). pino, prom-client and protobufjs stay external: they are
// loaded after the listeners are up. The lazily imported modules become separate chunks (--splitting).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [path.join(root, 'dist/main.js')],
  outdir: path.join(root, 'dist/bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['pino', 'prom-client', 'protobufjs'],
  logLevel: 'warning',
});
