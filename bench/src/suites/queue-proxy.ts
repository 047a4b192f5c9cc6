import { PROXY_SCENARIOS, varyEnv } from '../scenarios.js';
import { queueProxyPreflight, queueProxyTarget } from '../targets/queue-proxy.js';
import { sampleAppPreflight } from '../targets/sample-app.js';
import type { Suite } from '../types.js';

const suite: Suite = {
  name: 'queue-proxy',
  description:
    "kdp's queue-proxy in front of the sample app, against the app hit directly; CONTAINER_CONCURRENCY 0 and 100. " +
    'Startup: spawn of queue-proxy to its first proxied 2xx, over every start of the run.',
  targets: [queueProxyTarget()],
  // Each load shape with CONTAINER_CONCURRENCY 0 (no breaker) and 100 (the breaker on the path).
  scenarios: varyEnv(PROXY_SCENARIOS, 'CONTAINER_CONCURRENCY', ['0', '100'], 'cc'),
  async preflight(repoRoot) {
    await sampleAppPreflight(repoRoot);
    await queueProxyPreflight(repoRoot);
  },
};

export default suite;
