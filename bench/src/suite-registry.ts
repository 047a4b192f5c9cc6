import { readdir } from 'node:fs/promises';
import type { Suite } from './types.js';

function isSuite(v: unknown): v is Suite {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s['name'] === 'string' && Array.isArray(s['targets']) && Array.isArray(s['scenarios']);
}

/**
 * Every `suites/*.js` whose default export is a Suite, by name. Discovered rather than listed, so adding a suite is
 * adding one file.
 */
export async function loadSuites(): Promise<Map<string, Suite>> {
  const dir = new URL('./suites/', import.meta.url);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.js')).sort();
  const suites = new Map<string, Suite>();
  for (const file of files) {
    const mod = (await import(new URL(file, dir).href)) as { default?: unknown };
    if (!isSuite(mod.default)) throw new Error(`bench/src/suites/${file.replace(/\.js$/, '.ts')} must default-export a Suite`);
    const suite = mod.default;
    if (suites.has(suite.name)) throw new Error(`two suites are named ${suite.name}`);
    suites.set(suite.name, suite);
  }
  return suites;
}
