import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManagedProcess, Role, Target, TargetContext } from '../types.js';

/** The user container every suite puts behind its proxies (built by `tsc -b packages/sample-app`). */
export const SAMPLE_APP_MAIN = 'packages/sample-app/dist/main.js';

export interface StartedApp {
  readonly process: ManagedProcess;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Spawn to first 2xx. */
  readonly startupMs: number;
}

/**
 * Starts the sample app on a free port and waits for its first 2xx. `role` decides its CPU when pinned: `app` (with
 * the load generator) normally; `proxy` puts it alone on the proxy's CPU (the load generator ceiling check).
 */
export async function startSampleApp(
  ctx: TargetContext,
  opts: { readonly role?: Role; readonly env?: Readonly<Record<string, string>> } = {},
): Promise<StartedApp> {
  const [port] = await ctx.freePorts(1);
  if (port === undefined) throw new Error('no free port');
  const proc = ctx.spawn({
    role: opts.role ?? 'app',
    name: 'sample-app',
    command: process.execPath,
    args: [join(ctx.repoRoot, SAMPLE_APP_MAIN)],
    env: { ...ctx.scenario.env, ...opts.env, PORT: String(port), HOST: '127.0.0.1' },
  });
  const url = `http://127.0.0.1:${String(port)}`;
  const startupMs = await ctx.waitForFirstResponse(`${url}/`, proc);
  return { process: proc, url, port, startupMs };
}

/** The baseline: the load generator straight to the sample app. Its CPU and RSS are the app's. */
export function directTarget(name = 'direct', role: Role = 'app'): Target {
  return {
    name,
    async start(ctx) {
      const app = await startSampleApp(ctx, { role });
      return { url: app.url, measured: app.process, startupMs: app.startupMs };
    },
  };
}

export async function requireBuilt(repoRoot: string, relPath: string, what: string): Promise<void> {
  try {
    await access(join(repoRoot, relPath));
  } catch {
    throw new Error(`${what} is not built: ${relPath} does not exist. Run \`npm run build\` (or \`npx tsc -b\`) first.`);
  }
}

export function sampleAppPreflight(repoRoot: string): Promise<void> {
  return requireBuilt(repoRoot, SAMPLE_APP_MAIN, 'the sample app');
}
