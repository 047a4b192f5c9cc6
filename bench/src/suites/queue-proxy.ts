import { join } from 'node:path';
import { QUEUE_PROXY_NODE_FLAGS } from '@kdp/queue-proxy';
import { PROXY_SCENARIOS, varyEnv } from '../scenarios.js';
import { requireBuilt, sampleAppPreflight, startSampleApp } from '../targets/sample-app.js';
import type { Suite, Target } from '../types.js';

/** The sidecar's entry point, built by `tsc -b packages/queue-proxy`. */
const QUEUE_PROXY_MAIN = 'packages/queue-proxy/dist/main.js';

/**
 * The sample app behind kdp's queue-proxy, configured through the same environment Knative gives queue-proxy
 * (cmd/queue/main.go's env struct); CONTAINER_CONCURRENCY comes from the scenario.
 */
const queueProxy: Target = {
  name: 'queue-proxy',
  async start(ctx) {
    const app = await startSampleApp(ctx);
    const [serving, admin, metrics, userMetrics] = await ctx.freePorts(4);
    if (serving === undefined || admin === undefined || metrics === undefined || userMetrics === undefined) {
      throw new Error('no free ports');
    }
    const proxy = ctx.spawn({
      role: 'proxy',
      name: 'queue-proxy',
      command: process.execPath,
      // Run as deployed (bin shebang, Dockerfile.queue): with the queue-proxy's V8 flags.
      args: [...QUEUE_PROXY_NODE_FLAGS, join(ctx.repoRoot, QUEUE_PROXY_MAIN)],
      env: {
        CONTAINER_CONCURRENCY: '0',
        ...ctx.scenario.env,
        QUEUE_SERVING_PORT: String(serving),
        QUEUE_SERVING_TLS_PORT: '8112',
        USER_PORT: String(app.port),
        REVISION_TIMEOUT_SECONDS: '300',
        SERVING_LOGGING_CONFIG: '',
        SERVING_LOGGING_LEVEL: '',
        SERVING_NAMESPACE: 'default',
        SERVING_CONFIGURATION: 'c',
        SERVING_REVISION: 'r',
        SERVING_POD: 'p',
        SERVING_POD_IP: '127.0.0.1',
        KDP_ADMIN_PORT: String(admin),
        KDP_METRICS_PORT: String(metrics),
        KDP_USER_METRICS_PORT: String(userMetrics),
      },
    });
    const url = `http://127.0.0.1:${String(serving)}`;
    // Startup: from spawning queue-proxy (the app is already up) to its first proxied 2xx.
    const startupMs = await ctx.waitForFirstResponse(`${url}/`, proxy);
    return { url, measured: proxy, app: app.process, startupMs };
  },
};

const suite: Suite = {
  name: 'queue-proxy',
  description:
    "kdp's queue-proxy in front of the sample app, against the app hit directly; CONTAINER_CONCURRENCY 0 and 100. " +
    'Startup: spawn of queue-proxy to its first proxied 2xx, over every start of the run.',
  targets: [queueProxy],
  // Each load shape with CONTAINER_CONCURRENCY 0 (no breaker) and 100 (the breaker on the path).
  scenarios: varyEnv(PROXY_SCENARIOS, 'CONTAINER_CONCURRENCY', ['0', '100'], 'cc'),
  async preflight(repoRoot) {
    await sampleAppPreflight(repoRoot);
    await requireBuilt(repoRoot, QUEUE_PROXY_MAIN, 'the queue-proxy binary');
  },
};

export default suite;
