import { fmtInt } from '../runner.js';
import { sampleAppPreflight } from '../targets/sample-app.js';
import { brokerTarget, EVENT_BODY, EVENT_HEADERS, INGRESS_PATH, kdpServePreflight, natsPreflight } from '../targets/eventing.js';
import type { Goal, Scenario, Suite, Summary } from '../types.js';

/** Issue 10: ≥ 10,000 events/s accepted at 100 connections on the embedded store (durable acceptance). */
const MIN_EVENTS_PER_S = 10_000;

const event = { method: 'POST', path: INGRESS_PATH, headers: EVENT_HEADERS, body: EVENT_BODY } as const;
const SCENARIOS: readonly Scenario[] = [
  { name: 'c1-event15', connections: 1, ...event },
  { name: 'c10-event15', connections: 10, ...event },
  { name: 'c100-event15', connections: 100, ...event },
];

function throughputGoal(summaries: readonly Summary[], target: string, what: string): Goal {
  const goal = `≥ 10,000 events/s accepted at 100 connections, ${what}`;
  const s = summaries.find((x) => x.scenario === 'c100-event15' && x.target === target);
  if (s === undefined) return { goal, measured: 'c100-event15: not run', met: undefined };
  const bad = s.errors + s.non2xx;
  return {
    goal,
    measured: `c100-event15: ${target} **${fmtInt(s.reqPerS)} events/s** (p50 ${(s.latencyUs.p50 / 1000).toFixed(2)} ms, ` +
      `${s.cpuPct.toFixed(0)} % of its core)${bad > 0 ? `, ${String(s.non2xx)} non-2xx, ${String(s.errors)} errors` : ''}`,
    met: s.reqPerS >= MIN_EVENTS_PER_S && bad === 0,
  };
}

const suite: Suite = {
  name: 'eventing',
  description:
    'Issue 10: the broker ingress of `kdp serve` (packages/eventing) at 1, 10 and 100 connections, durable ' +
    'acceptance (202 only once the event is committed), beside a plain POST to the same sink in the same run. ' +
    'Each event: CloudEvent 1.0 in binary mode, 15 bytes of JSON, POSTed to `/default/bench` through the router\'s ' +
    'broker-ingress host; one Trigger (no filter) delivers every event to the sample app, which is also the `direct` ' +
    'baseline (the plain POST). `kdp serve` (router + broker ingress + delivery, one process) on the proxy CPU; the ' +
    'sink, the load generator (and nats-server for `broker-nats`) on the other. `broker-full`: embedded SQLite, ' +
    '`--eventing-sync full` (the default: the WAL fsynced before the 202s of each group commit); `broker-normal`: ' +
    '`--eventing-sync normal` (no fsync per commit); `broker-nats`: ' +
    'NATS JetStream backend (a file-backed stream, the publish acknowledged before the 202).',
  // KDP_BENCH_EVENTING_TARGETS=broker-full,broker-normal: a subset, for quick before/after comparisons.
  targets: [brokerTarget('broker-full', { sync: 'full' }), brokerTarget('broker-normal', { sync: 'normal' }), brokerTarget('broker-nats', { sync: 'full', nats: true })].filter(
    (t) => (process.env['KDP_BENCH_EVENTING_TARGETS'] ?? t.name).split(',').includes(t.name),
  ),
  scenarios: SCENARIOS,
  goals: (summaries) => [
    throughputGoal(summaries, 'broker-full', 'embedded store, --eventing-sync full (default)'),
    throughputGoal(summaries, 'broker-normal', 'embedded store, --eventing-sync normal'),
  ],
  async preflight(repoRoot) {
    await sampleAppPreflight(repoRoot);
    await kdpServePreflight(repoRoot);
    await natsPreflight();
  },
};

export default suite;
