import { addedP50Goal, throughputRatioGoal } from '../goals.js';
import { PROXY_SCENARIOS } from '../scenarios.js';
import { activatorPreflight } from '../targets/activator.js';
import { clusterActivatorTarget } from '../targets/activator-cluster.js';
import { queueProxyTarget } from '../targets/queue-proxy.js';
import type { Goal, Suite, Summary } from '../types.js';

/** Issue 8: ≤ 0.1 ms added p50 at one connection, ≥ 0.8× the queue-proxy alone at 100 connections. */
function goals(summaries: readonly Summary[]): Goal[] {
  return [
    addedP50Goal(summaries, {
      goal: 'cluster-mode activator hop: ≤ +0.1 ms p50 at 1 connection vs the queue-proxy alone (same CPU)',
      scenario: 'c1-size10-samecpu',
      target: 'activator-k8s',
      reference: 'queue-proxy',
      maxUs: 100,
    }),
    throughputRatioGoal(summaries, {
      goal: 'cluster-mode activator: ≥ 0.8× the queue-proxy-alone throughput at 100 connections',
      scenario: 'c100-size10',
      target: 'activator-k8s',
      reference: 'queue-proxy',
      minRatio: 0.8,
    }),
  ];
}

const suite: Suite = {
  name: 'activator-k8s',
  description:
    'The activator as a drop-in for Knative\'s activator Deployment (cluster mode: revisions and endpoints from a fake ' +
    'Kubernetes API server over list + watch, stats to a fake autoscaler websocket) in front of the queue-proxy, ' +
    'against the queue-proxy alone and the app hit directly, in one run. RSS of the activator under load is in the ' +
    'tables, to set beside the resources Knative\'s activator Deployment asks for (requests 300m / 60Mi, limits ' +
    '1000m / 600Mi). CONTAINER_CONCURRENCY 0.',
  targets: [queueProxyTarget(), clusterActivatorTarget()],
  scenarios: PROXY_SCENARIOS,
  goals,
  preflight: activatorPreflight,
};

export default suite;
