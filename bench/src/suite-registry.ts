import { readdir } from 'node:fs/promises';
import { isCustomSuite } from './custom.js';
import type { CustomSuite } from './custom.js';
import type { Suite } from './types.js';

/** A scenario suite (load shapes × targets, `runSuite`) or a custom one (cold starts, bursts: `runCustomSuite`). */
export type AnySuite = Suite | CustomSuite;

function isSuite(v: unknown): v is Suite {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s['name'] === 'string' && Array.isArray(s['targets']) && Array.isArray(s['scenarios']);
}

export interface SuiteRegistry {
  readonly suites: ReadonlyMap<string, AnySuite>;
  /**
   * Suite files that could not be loaded (e.g. one importing a package that is not built yet), by file name
   * without extension, which is the suite's name by convention. Only an error when that suite is asked for.
   */
  readonly broken: ReadonlyMap<string, string>;
}

/**
 * Every `suites/*.js` whose default export is a Suite or a CustomSuite, by name. Discovered rather than listed, so adding a suite is
 * adding one file.
 */
export async function loadSuites(): Promise<SuiteRegistry> {
  const dir = new URL('./suites/', import.meta.url);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.js')).sort();
  const suites = new Map<string, AnySuite>();
  const broken = new Map<string, string>();
  for (const file of files) {
    const stem = file.replace(/\.js$/, '');
    let mod: { default?: unknown };
    try {
      mod = (await import(new URL(file, dir).href)) as { default?: unknown };
    } catch (err) {
      broken.set(stem, err instanceof Error ? err.message : String(err));
      continue;
    }
    if (!isSuite(mod.default) && !isCustomSuite(mod.default)) {
      broken.set(stem, `bench/src/suites/${stem}.ts must default-export a Suite or a CustomSuite`);
      continue;
    }
    const suite = mod.default;
    if (suites.has(suite.name)) throw new Error(`two suites are named ${suite.name}`);
    suites.set(suite.name, suite);
  }
  return { suites, broken };
}
