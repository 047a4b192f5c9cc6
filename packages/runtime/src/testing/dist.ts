/*
 * Tests that start a separate Node process running the runtime (a control-plane stand-in) use the built code in
 * dist/, not these sources; they first check that the build is not older than the sources.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(srcDir, '..', 'dist');

/** file: URL of the built package entry point. */
export const distIndexUrl = pathToFileURL(join(distDir, 'index.js')).href;

export function assertDistFresh(): void {
  const stale = readdirSync(srcDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .filter((f) => {
      try {
        return statSync(join(distDir, f.replace(/\.ts$/, '.js'))).mtimeMs < statSync(join(srcDir, f)).mtimeMs;
      } catch {
        return true;
      }
    });
  if (stale.length > 0) {
    throw new Error(`packages/runtime/dist is stale (${stale.join(', ')}): run \`npx tsc -b packages/runtime\` first`);
  }
}
