/**
 * Issue 7's reference suite: kdp's queue-proxy against Go's `httputil.ReverseProxy` + semaphore (the core of
 * Knative's queue-proxy), both in front of the same Go backend, with wrk as the load generator, in one run.
 *
 * `KDP_BENCH_COMPARE=<another checkout>` adds that checkout's queue-proxy (built, run with its own V8 flags) as a
 * further target, to measure a change (the hardening) before/after in the same run. `KDP_BENCH_COMPARE_FLAGS="..."`
 * runs it with these node flags instead of its own (the same checkout with other flags measures a flag change;
 * another checkout with this checkout's flags separates a code change from a flag change).
 * `KDP_BENCH_FLAGS_VARIANT="..."` adds this checkout's queue-proxy run with these node flags instead, in the
 * scenarios that tell a flag's cost (1 connection on one CPU, 10 and 100 connections with 10 B, 100 with 64 KiB).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { addedP50Goal, throughputRatioGoal } from '../goals.js';
import { fmtInt, fmtUs } from '../runner.js';
import { ensureGoBuilt, goDirectTarget, goProxyTarget, startGoBackend } from '../targets/go.js';
import { QUEUE_PROXY_MAIN, queueProxyPreflight, startQueueProxy } from '../targets/queue-proxy.js';
import type { Goal, Scenario, Suite, Summary, Target } from '../types.js';

export const GO_SCENARIOS: readonly Scenario[] = Object.freeze([
  { name: 'c1-size10', connections: 1, path: '/?size=10' },
  { name: 'c1-size10-samecpu', connections: 1, path: '/?size=10', cpus: 'shared' },
  { name: 'c10-size10', connections: 10, path: '/?size=10' },
  { name: 'c100-size10', connections: 100, path: '/?size=10' },
  { name: 'c1-size64k', connections: 1, path: '/?size=65536' },
  { name: 'c10-size64k', connections: 10, path: '/?size=65536' },
  { name: 'c100-size64k', connections: 100, path: '/?size=65536' },
]);

const KDP = 'queue-proxy';
const GO = 'go-proxy';
const RSS_LIMIT_KB = 60 * 1024;

/** kdp's queue-proxy (as deployed: its bin with its V8 flags) in front of the Go backend. */
function kdpTarget(
  name: string,
  command?: (repoRoot: string) => Promise<readonly string[]>,
  onlyIn?: (s: Scenario) => boolean,
): Target {
  return {
    name,
    ...(onlyIn === undefined ? {} : { onlyIn }),
    async start(ctx) {
      const b = await startGoBackend(ctx);
      const qp = await startQueueProxy(ctx, b.port, {
        name,
        ...(command === undefined ? {} : { command: await command(ctx.repoRoot) }),
      });
      return { url: qp.url, measured: qp.process, app: b.process, startupMs: qp.startupMs };
    },
  };
}

interface Compare {
  readonly root: string;
  readonly label: string;
  /** Node flags instead of the checkout's own QUEUE_PROXY_NODE_FLAGS. */
  readonly flags?: readonly string[];
}

function compareCheckout(): Compare | undefined {
  const raw = process.env['KDP_BENCH_COMPARE'];
  if (raw === undefined || raw === '') return undefined;
  const root = resolve(raw);
  let label = root;
  try {
    label = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout: keep the path
  }
  const flags = process.env['KDP_BENCH_COMPARE_FLAGS'];
  if (flags === undefined) return { root, label };
  const list = flags.split(/\s+/).filter((f) => f !== '');
  return { root, label: `${label}${list.length === 0 ? ' (no flags)' : ` (${list.join(' ')})`}`, flags: list };
}

const compare = compareCheckout();
const variantFlags = process.env['KDP_BENCH_FLAGS_VARIANT']?.split(/\s+/).filter((f) => f !== '');
const VARIANT = variantFlags === undefined ? undefined : `${KDP}+flags`;
const VARIANT_SCENARIOS = new Set(['c1-size10-samecpu', 'c10-size10', 'c100-size10', 'c100-size64k']);
const BEFORE = compare === undefined ? undefined : `${KDP}@${compare.label}`;

/** That checkout's `node <its QUEUE_PROXY_NODE_FLAGS> <its bin>`. */
async function compareCommand(c: Compare): Promise<readonly string[]> {
  if (c.flags !== undefined) return [process.execPath, ...c.flags, join(c.root, QUEUE_PROXY_MAIN)];
  const flagsModule = join(c.root, 'packages/queue-proxy/dist/node-flags.js');
  const mod = (await import(pathToFileURL(flagsModule).href)) as { QUEUE_PROXY_NODE_FLAGS?: readonly string[] };
  return [process.execPath, ...(mod.QUEUE_PROXY_NODE_FLAGS ?? []), join(c.root, QUEUE_PROXY_MAIN)];
}

function find(summaries: readonly Summary[], scenario: string, target: string): Summary | undefined {
  return summaries.find((s) => s.scenario === scenario && s.target === target);
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;

/** ≥ minRatio × Go's req/s and p99 ≤ maxP99Ratio × Go's, in one scenario. */
function bodyGoal(summaries: readonly Summary[], scenario: string): Goal {
  const goal = `${scenario}: ≥ 1.2× Go's req/s with p99 ≤ 1.5× Go's`;
  const k = find(summaries, scenario, KDP);
  const g = find(summaries, scenario, GO);
  if (k === undefined || g === undefined) return { goal, measured: `${scenario}: not run`, met: undefined };
  const ratio = k.reqPerS / g.reqPerS;
  const p99 = k.latencyUs.p99 / g.latencyUs.p99;
  return {
    goal,
    measured:
      `${fmtInt(k.reqPerS)} ÷ ${fmtInt(g.reqPerS)} req/s = **${ratio.toFixed(2)}×**; p99 ${fmtUs(k.latencyUs.p99)} ÷ ` +
      `${fmtUs(g.latencyUs.p99)} = **${p99.toFixed(2)}×**`,
    met: ratio >= 1.2 && p99 <= 1.5 && k.errors + k.non2xx === 0,
  };
}

/** The highest of one RSS figure of kdp over every scenario run, against 60 MB. */
function rssGoal(summaries: readonly Summary[], what: string, pick: (s: Summary) => number | undefined): Goal {
  const goal = `RSS ≤ 60 MB ${what}, every scenario (64 KiB included)`;
  const rows = summaries.filter((s) => s.target === KDP).map((s) => ({ s, kb: pick(s) }));
  const known = rows.filter((r): r is { s: Summary; kb: number } => r.kb !== undefined && Number.isFinite(r.kb));
  if (known.length === 0) return { goal, measured: 'not measured', met: undefined };
  const worst = known.reduce((a, b) => (b.kb > a.kb ? b : a));
  const goRows = summaries.filter((s) => s.target === GO).map(pick).filter((kb): kb is number => kb !== undefined);
  return {
    goal,
    measured:
      `highest: **${mb(worst.kb)}** (${worst.s.scenario}); lowest: ${mb(Math.min(...known.map((r) => r.kb)))}` +
      (goRows.length > 0 ? `; Go's highest ${mb(Math.max(...goRows))}` : ''),
    met: worst.kb <= RSS_LIMIT_KB,
  };
}

function goals(summaries: readonly Summary[]): Goal[] {
  const out: Goal[] = [
    ...['c10-size10', 'c100-size10'].map((scenario) =>
      throughputRatioGoal(summaries, { goal: `${scenario}: ≥ 1.5× Go's req/s`, scenario, target: KDP, reference: GO, minRatio: 1.5 }),
    ),
    ...['c10-size64k', 'c100-size64k'].map((scenario) => bodyGoal(summaries, scenario)),
  ];
  const added = addedP50Goal(summaries, {
    goal: '≤ 50 µs added p50 at 1 connection, all on one CPU',
    scenario: 'c1-size10-samecpu',
    target: KDP,
    reference: 'direct',
    maxUs: 50,
  });
  const goAdded = find(summaries, 'c1-size10-samecpu', GO);
  const direct = find(summaries, 'c1-size10-samecpu', 'direct');
  out.push(
    goAdded === undefined || direct === undefined
      ? added
      : { ...added, measured: `${added.measured} (Go: +${fmtUs(goAdded.latencyUs.p50 - direct.latencyUs.p50)})` },
  );
  out.push(
    rssGoal(summaries, 'after warm-up', (s) => s.rssWarmKb),
    rssGoal(summaries, 'under load (peak)', (s) => s.rssPeakKb),
    rssGoal(summaries, 'under load (steady: median of the second half)', (s) => s.rssSteadyKb),
  );
  if (BEFORE !== undefined) {
    for (const scenario of ['c10-size10', 'c100-size10', 'c10-size64k', 'c100-size64k']) {
      out.push(
        throughputRatioGoal(summaries, {
          goal: `${scenario}: the hardening costs ≤ 5 % of req/s (${KDP} ÷ ${BEFORE} ≥ 0.95)`,
          scenario,
          target: KDP,
          reference: BEFORE,
          minRatio: 0.95,
        }),
      );
    }
  }
  return out;
}

const suite: Suite = {
  name: 'go-reference',
  description:
    "Issue 7: kdp's queue-proxy (its bin with its V8 flags, as deployed) against Go's httputil.ReverseProxy + semaphore " +
    "(bench/go/proxy: the core of Knative's queue-proxy), both in front of the same Go backend (bench/go/backend), and " +
    'that backend hit directly; wrk as the load generator (one thread, on the backend\'s CPU)' +
    (compare === undefined
      ? '.'
      : `; plus ${BEFORE ?? ''}: the queue-proxy of ${compare.root}, run with ` +
        `${compare.flags === undefined ? 'its own flags' : `the flags \`${compare.flags.join(' ')}\``}.`) +
    (VARIANT === undefined || variantFlags === undefined
      ? ''
      : ` And ${VARIANT}: this checkout's queue-proxy run with \`${variantFlags.join(' ') || '(no flags)'}\` instead of ` +
        `its own flags, in ${[...VARIANT_SCENARIOS].join(', ')}.`),
  baseline: goDirectTarget(),
  targets: [
    goProxyTarget(GO),
    kdpTarget(KDP),
    ...(compare === undefined || BEFORE === undefined ? [] : [kdpTarget(BEFORE, () => compareCommand(compare))]),
    ...(variantFlags === undefined || VARIANT === undefined
      ? []
      : [
          kdpTarget(
            VARIANT,
            (root) => Promise.resolve([process.execPath, ...variantFlags, join(root, QUEUE_PROXY_MAIN)]),
            (s) => VARIANT_SCENARIOS.has(s.name),
          ),
        ]),
  ],
  scenarios: GO_SCENARIOS,
  loadGenerator: 'wrk',
  compareTo: GO,
  goals,
  async preflight(repoRoot) {
    ensureGoBuilt(repoRoot);
    await queueProxyPreflight(repoRoot);
    if (compare !== undefined) {
      for (const rel of ['packages/queue-proxy/dist/main.js', 'packages/queue-proxy/dist/node-flags.js', QUEUE_PROXY_MAIN]) {
        if (!existsSync(join(compare.root, rel))) {
          throw new Error(`KDP_BENCH_COMPARE=${compare.root}: ${rel} is missing; run npm ci && npm run build there first`);
        }
      }
    }
  },
};

export default suite;
