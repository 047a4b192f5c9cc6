import { addedP50Goal, throughputRatioGoal } from '../goals.js';
import { PROXY_SCENARIOS } from '../scenarios.js';
import { activatorPreflight, standaloneActivatorTarget } from '../targets/activator.js';
import { controlPlanePreflight, controlPlaneTarget } from '../targets/control-plane.js';
import { queueProxyTarget } from '../targets/queue-proxy.js';
import type { Goal, Suite, Summary } from '../types.js';

/** Issue 4: the router adds ≤ 0.15 ms to p50 at one connection. */
const MAX_ADDED_P50_US = 150;
/** Issue 4: the full warm chain at 100 connections reaches ≥ 0.5× the queue-proxy-alone throughput. */
const MIN_CHAIN_RATIO = 0.5;

const SCENARIOS = PROXY_SCENARIOS.filter((s) => ['c1-size10', 'c1-size10-samecpu', 'c10-size10', 'c100-size10'].includes(s.name));

function goals(summaries: readonly Summary[]): Goal[] {
  return [
    ...(
      [
        ['c1-size10-samecpu', 'same CPU'],
        ['c1-size10', 'proxy CPU apart'],
      ] as const
    ).flatMap(([scenario, how]) => [
      addedP50Goal(summaries, {
        goal: `router (→ in-process activator) adds ≤ +0.15 ms p50 at 1 connection vs the queue-proxy alone (${how})`,
        scenario,
        target: 'router',
        reference: 'queue-proxy',
        maxUs: MAX_ADDED_P50_US,
      }),
      // kdp has no router → queue-proxy path without the activator; the standalone activator isolates the router's share.
      addedP50Goal(summaries, {
        goal: `the router's own share: router (in-process activator) vs the standalone activator hop, ≤ +0.15 ms p50 (${how})`,
        scenario,
        target: 'router',
        reference: 'activator',
        maxUs: MAX_ADDED_P50_US,
      }),
    ]),
    throughputRatioGoal(summaries, {
      goal: 'full warm chain (router → activator → queue-proxy → app) at 100 connections ≥ 0.5× the queue-proxy-alone req/s',
      scenario: 'c100-size10',
      target: 'router',
      reference: 'queue-proxy',
      minRatio: MIN_CHAIN_RATIO,
    }),
  ];
}

const suite: Suite = {
  name: 'router',
  description:
    "kdp's router in front of a warm revision, against the queue-proxy alone and the app hit directly, in one run, " +
    'at 1, 10 and 100 connections. `router`: the control plane (packages/platform) with a min-scale 1 ' +
    'revision of the sample app, reached by Host `hello.default.localhost`; kdp\'s router always hands a request to ' +
    'the in-process activator, which proxies it to the pod\'s queue-proxy, so "router → queue-proxy (warm)" and ' +
    '"router → activator → queue-proxy" are one and the same path here. `activator`: the standalone activator ' +
    'process in front of the same kind of pod, to separate the router\'s share. Placement: the control plane (or ' +
    'activator) and the queue-proxy on the proxy CPU, the app with the load generator. CONTAINER_CONCURRENCY 0.',
  targets: [queueProxyTarget(), standaloneActivatorTarget(), controlPlaneTarget('router')],
  scenarios: SCENARIOS,
  goals,
  async preflight(repoRoot) {
    await controlPlanePreflight(repoRoot);
    await activatorPreflight(repoRoot);
  },
};

export default suite;
