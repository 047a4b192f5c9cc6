import { addedP50Goal } from '../goals.js';
import { PROXY_SCENARIOS } from '../scenarios.js';
import { activatorPreflight, standaloneActivatorTarget } from '../targets/activator.js';
import { controlPlanePreflight, controlPlaneTarget } from '../targets/control-plane.js';
import { queueProxyTarget } from '../targets/queue-proxy.js';
import type { Goal, Suite, Summary } from '../types.js';

/** Issue 3: the warm activator hop adds ≤ 0.2 ms to p50 at one connection, against the queue-proxy alone. */
const MAX_ADDED_P50_US = 200;

function goals(summaries: readonly Summary[]): Goal[] {
  const out: Goal[] = [];
  for (const target of ['activator', 'router']) {
    for (const [scenario, how] of [['c1-size10-samecpu', 'same CPU'], ['c1-size10', 'proxy CPU apart']] as const) {
      out.push(
        addedP50Goal(summaries, {
          goal: `warm ${target === 'router' ? 'router → activator' : 'activator'} hop: ≤ +0.2 ms p50 at 1 connection vs the queue-proxy alone (${how})`,
          scenario,
          target,
          reference: 'queue-proxy',
          maxUs: MAX_ADDED_P50_US,
        }),
      );
    }
  }
  return out;
}

const suite: Suite = {
  name: 'activator',
  description:
    'A warm activator hop in front of the queue-proxy, against the queue-proxy alone and the app hit directly, in ' +
    'one run. `queue-proxy`: app ← queue-proxy. `activator`: app ← queue-proxy ← the standalone activator process ' +
    '(packages/activator, a one-pod revision table, requests carry Knative-Serving-Revision/-Namespace as from ' +
    "Knative's ingress). `router`: app ← queue-proxy ← kdp's control plane (packages/platform) with a " +
    'min-scale 1 revision, reached by Host: its router always hands requests to the in-process activator (there is ' +
    'no separate warm path in kdp), so this is the activator path as kdp serves it. Placement: every kdp proxy (the ' +
    'activator or control plane, and the queue-proxy) on the proxy CPU, the app with the load generator; the table\'s ' +
    'CPU is the front process, the queue-proxy\'s is listed beside it. CONTAINER_CONCURRENCY 0.',
  targets: [queueProxyTarget(), standaloneActivatorTarget(), controlPlaneTarget('router')],
  scenarios: PROXY_SCENARIOS,
  goals,
  async preflight(repoRoot) {
    await controlPlanePreflight(repoRoot);
    await activatorPreflight(repoRoot);
  },
};

export default suite;
