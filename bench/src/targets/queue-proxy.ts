import { join } from 'node:path';
import { QUEUE_PROXY_NODE_FLAGS } from '@kdp/queue-proxy';
import { requireBuilt, startSampleApp } from './sample-app.js';
import type { ManagedProcess, Role, Target, TargetContext } from '../types.js';

/** The sidecar's entry point, built by `tsc -b packages/queue-proxy`. */
/** The shipped entry point: the bin shim, which runs the single-file bundle (as Dockerfile.queue does). */
export const QUEUE_PROXY_MAIN = 'packages/queue-proxy/bin/kdp-queue-proxy.js';

/** `node <flags> main.js`: the queue-proxy as deployed (bin shebang, Dockerfile.queue), with its own V8 flags. */
export function queueProxyCommand(repoRoot: string): readonly string[] {
  return [process.execPath, ...QUEUE_PROXY_NODE_FLAGS, join(repoRoot, QUEUE_PROXY_MAIN)];
}

export interface StartedQueueProxy {
  readonly process: ManagedProcess;
  /** `http://127.0.0.1:<serving port>` */
  readonly url: string;
  readonly port: number;
  /** Spawn to its first proxied 2xx. */
  readonly startupMs: number;
}

/**
 * Starts kdp's queue-proxy in front of an app already listening on `userPort`, configured through the environment
 * Knative gives queue-proxy (cmd/queue/main.go's env struct); the scenario's env (CONTAINER_CONCURRENCY) applies.
 */
export async function startQueueProxy(
  ctx: TargetContext,
  userPort: number,
  opts: {
    readonly role?: Role;
    readonly revision?: string;
    /** Program and arguments; default `queueProxyCommand(ctx.repoRoot)` (another checkout's, to compare commits). */
    readonly command?: readonly string[];
    readonly name?: string;
  } = {},
): Promise<StartedQueueProxy> {
  const [serving, admin, metrics, userMetrics] = await ctx.freePorts(4);
  if (serving === undefined || admin === undefined || metrics === undefined || userMetrics === undefined) {
    throw new Error('no free ports');
  }
  const [command = process.execPath, ...args] = opts.command ?? queueProxyCommand(ctx.repoRoot);
  const proxy = ctx.spawn({
    role: opts.role ?? 'proxy',
    name: opts.name ?? 'queue-proxy',
    command,
    args,
    env: {
      CONTAINER_CONCURRENCY: '0',
      ...ctx.scenario.env,
      QUEUE_SERVING_PORT: String(serving),
      QUEUE_SERVING_TLS_PORT: '8112',
      USER_PORT: String(userPort),
      REVISION_TIMEOUT_SECONDS: '300',
      SERVING_LOGGING_CONFIG: '',
      SERVING_LOGGING_LEVEL: '',
      SERVING_NAMESPACE: 'default',
      SERVING_CONFIGURATION: 'c',
      SERVING_REVISION: opts.revision ?? 'r',
      SERVING_POD: 'p',
      SERVING_POD_IP: '127.0.0.1',
      KDP_ADMIN_PORT: String(admin),
      KDP_METRICS_PORT: String(metrics),
      KDP_USER_METRICS_PORT: String(userMetrics),
      // Stopped after each run: no 30 s drain quiet period (the runner would SIGKILL it after 5 s anyway).
      KDP_DRAIN_QUIET_PERIOD_SECONDS: '0',
    },
  });
  const url = `http://127.0.0.1:${String(serving)}`;
  const startupMs = await ctx.waitForFirstResponse(`${url}/`, proxy);
  return { process: proxy, url, port: serving, startupMs };
}

/** The sample app behind kdp's queue-proxy; the queue-proxy is measured. Startup: its spawn (the app is up) to its first proxied 2xx. */
export function queueProxyTarget(name = 'queue-proxy'): Target {
  return {
    name,
    async start(ctx) {
      const app = await startSampleApp(ctx);
      const qp = await startQueueProxy(ctx, app.port);
      return { url: qp.url, measured: qp.process, app: app.process, startupMs: qp.startupMs };
    },
  };
}

export function queueProxyPreflight(repoRoot: string): Promise<void> {
  return requireBuilt(repoRoot, 'packages/queue-proxy/dist/main.js', 'the queue-proxy binary');
}
