import { BurstClient } from '../burst-client.js';
import type { BurstResult } from '../burst-client.js';
import { toJson } from '../custom.js';
import type { CustomContext, CustomOutcome, CustomSuite } from '../custom.js';
import { queuedRequests } from '../http-timing.js';
import { readListenDrops, readRssKb, RssSampler } from '../procfs.js';
import { percentile } from '../stats.js';
import { controlPlanePreflight, routeTo, sampleAppRevision, startControlPlaneHost } from '../targets/control-plane.js';
import type { ControlPlaneHost, MemoryUsage } from '../targets/control-plane.js';
import type { Goal } from '../types.js';

/** Issue 3: 5,000 requests arriving at once at a revision at zero. */
const REQUESTS = 5000;
const DEFAULT_BURSTS = 3;
const QUICK_BURSTS = 1;
/**
 * One pod: on a 2-CPU machine more pods only compete for the same cores (and the autoscaler would ask for
 * ceil(5000 / 70) = 72 with Knative's defaults). containerConcurrency 0: the pod takes every request at once.
 */
const MAX_SCALE = 1;
/** `held` bursts start the user process this late, so every request is buffered for a clean memory reading. */
const HOLD_MS = 1500;
const SETTLE_MS = 300;
const SERVICE = 'burst';
const PATH = '/?size=10';

type Variant = 'cold' | 'held';

interface MemoryReading {
  readonly rssKb: number;
  /** heapUsed + external after a full GC: what the control plane's JS keeps alive. */
  readonly liveBytes: number;
  readonly heapUsed: number;
  readonly external: number;
}

interface BurstSample {
  readonly i: number;
  readonly variant: Variant;
  readonly revision: string;
  readonly result: Omit<BurstResult, 'latenciesMs'>;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  /** Control plane before the sockets are opened, with them open and idle, (held) with every request buffered, after. */
  readonly idle: MemoryReading;
  readonly connected: MemoryReading;
  readonly buffered?: MemoryReading & { readonly queued: number; readonly atMs: number; readonly answeredBefore: boolean };
  readonly after: MemoryReading;
  /** Highest control plane RSS sampled every 10 ms from the first write to the last answer. */
  readonly peakRssKb: number;
  readonly othersPct: number;
  /** Machine-wide `TcpExt ListenDrops` during the burst (SYNs dropped on a full accept queue: retried after 1 s, 3 s…). */
  readonly listenDrops: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function reading(cp: ControlPlaneHost): Promise<MemoryReading> {
  const m: MemoryUsage = await cp.memory({ gc: true });
  return { rssKb: readRssKb(cp.process.pid) ?? Number.NaN, liveBytes: m.heapUsed + m.external, heapUsed: m.heapUsed, external: m.external };
}

/** Polls the activator's queued gauge until every request of the burst is buffered. */
async function waitAllQueued(cp: ControlPlaneHost, revision: string, n: number, deadlineMs: number): Promise<number> {
  const deadline = performance.now() + deadlineMs;
  let queued = 0;
  while (performance.now() < deadline) {
    queued = queuedRequests(await cp.metricsText(), revision) ?? 0;
    if (queued >= n) return queued;
    await sleep(20);
  }
  return queued;
}

async function burst(ctx: CustomContext, cp: ControlPlaneHost, i: number, variant: Variant): Promise<BurstSample> {
  const revision = `${SERVICE}-${variant}-${String(i).padStart(4, '0')}`;
  const key = await cp.addRevision(
    sampleAppRevision(ctx.placement, ctx.repoRoot, {
      service: SERVICE,
      name: revision,
      annotations: {
        'autoscaling.knative.dev/initial-scale': '0',
        'autoscaling.knative.dev/max-scale': String(MAX_SCALE),
      },
      ...(variant === 'held' ? { delayStartMs: HOLD_MS } : {}),
    }),
  );
  let client: BurstClient | undefined;
  try {
    await cp.setRoutes([routeTo(SERVICE, revision)]);
    await sleep(SETTLE_MS);
    const st = await cp.status(key);
    if (st === undefined || st.actualPods !== 0 || st.pods.length !== 0) {
      throw new Error(`revision ${key} is not at zero before the burst: ${JSON.stringify(st ?? null)}`);
    }
    const idle = await reading(cp);
    const router = new URL(cp.routerUrl);
    client = await BurstClient.connect({
      host: router.hostname,
      port: Number(router.port),
      hostHeader: cp.hostOf(SERVICE),
      path: PATH,
      requests: REQUESTS,
    });
    await sleep(200);
    const connected = await reading(cp);

    const window = ctx.othersCpuWindow();
    const drops0 = readListenDrops();
    const sampler = new RssSampler(cp.process.pid, 10);
    let answered = false;
    const t0 = performance.now();
    const firing = client.fire({ onFirstAnswer: () => (answered = true) });
    let buffered: BurstSample['buffered'];
    if (variant === 'held') {
      const queued = await waitAllQueued(cp, revision, REQUESTS, HOLD_MS);
      const atMs = performance.now() - t0;
      const r = await reading(cp);
      buffered = { ...r, queued, atMs, answeredBefore: answered };
    }
    const result = await firing;
    const rss = sampler.stop();
    const othersPct = window();
    const drops1 = readListenDrops();
    const after = await reading(cp);
    const lat = result.latenciesMs;
    const { latenciesMs: _, ...rest } = result;
    return {
      i,
      variant,
      revision,
      result: rest,
      latencyMs:
        lat.length === 0
          ? { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN }
          : { p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99), max: Math.max(...lat) },
      idle,
      connected,
      ...(buffered === undefined ? {} : { buffered }),
      after,
      peakRssKb: rss.peakKb,
      othersPct,
      listenDrops: drops0 === undefined || drops1 === undefined ? Number.NaN : drops1.drops - drops0.drops,
    };
  } finally {
    client?.close();
    await cp.removeRevision(key);
  }
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : '–');
const perReq = (bytes: number): string => `${Math.round(bytes / REQUESTS).toLocaleString('en-US')} B`;
const med = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : percentile(xs, 50));
const mbBytes = (bytes: number): string => (Number.isFinite(bytes) ? mb(bytes / 1024) : '–');

/** One row of the memory table: `[RSS, live]` bytes per burst, medians per kind, formatted. */
function memoryRow(
  label: string,
  cold: readonly BurstSample[],
  held: readonly BurstSample[],
  f: (s: BurstSample) => readonly [number, number],
  fmt: (bytes: number) => string,
): string[] {
  const cell = (xs: readonly BurstSample[], k: 0 | 1): string => {
    const v = med(xs.map((s) => f(s)[k]));
    return Number.isFinite(v) ? fmt(v) : '–';
  };
  return [label, cell(cold, 0), cell(cold, 1), cell(held, 0), cell(held, 1)];
}

function outcome(samples: readonly BurstSample[]): CustomOutcome {
  const bad = samples.filter((s) => s.result.errors > 0 || s.result.ok !== s.result.requests);
  const goals: Goal[] = [
    {
      goal: `${REQUESTS.toLocaleString('en-US')} requests arriving at once at a revision at zero: zero errors`,
      measured:
        `${String(samples.length)} bursts: ${samples.map((s) => `${s.variant} ${String(s.result.ok)}/${String(s.result.requests)} 2xx, ${String(s.result.errors)} errors`).join('; ')}`,
      met: samples.length > 0 && bad.length === 0,
    },
  ];
  const held = samples.filter((s) => s.buffered !== undefined);
  const cold = samples.filter((s) => s.variant === 'cold');
  const sections: CustomOutcome['sections'] = [
    {
      title: 'Bursts',
      text:
        `Each burst: a fresh revision of the sample app at zero (max-scale ${String(MAX_SCALE)}, containerConcurrency 0), ` +
        `${REQUESTS.toLocaleString('en-US')} keep-alive connections opened to the router first (in batches of 500), ` +
        `then one \`GET ${PATH}\` written on each, back to back. *cold*: the app starts at once; *held*: its start ` +
        `is delayed ${String(HOLD_MS)} ms (\`sleep\` in the revision command) so that every request sits in the ` +
        'activator when its memory is read. Times are from the first write; latency is write → end of response. ' +
        "*listen drops*: the machine's `TcpExt ListenDrops` over the burst (connections dropped on a full accept " +
        'queue, at the router or, when the activator releases the burst, at the queue-proxy; each is retried by its ' +
        'client after 1 s, then 3 s). ' +
        "RSS is the control plane process's (router + activator + autoscaler + runtime; pods are other processes).",
      columns: ['#', 'burst', '2xx', 'errors', 'other statuses', 'first answer', 'all answered', 'p50', 'p95', 'p99', 'max', 'RSS idle → peak', 'listen drops', "others' CPU"],
      right: [0, 2, 3, 5, 6, 7, 8, 9, 10, 12, 13],
      rows: samples.map((s) => [
        String(s.i),
        s.variant,
        String(s.result.ok),
        String(s.result.errors),
        Object.entries(s.result.statusCodes).filter(([c]) => !c.startsWith('2')).map(([c, n]) => `${c}×${String(n)}`).join(' ') || '–',
        ms(s.result.firstAnswerMs),
        ms(s.result.allAnsweredMs),
        ms(s.latencyMs.p50),
        ms(s.latencyMs.p95),
        ms(s.latencyMs.p99),
        ms(s.latencyMs.max),
        `${mb(s.idle.rssKb)} → ${mb(s.peakRssKb)}`,
        Number.isFinite(s.listenDrops) ? String(s.listenDrops) : '–',
        `${String(s.othersPct)} %`,
      ]),
    },
    {
      title: 'Control plane memory',
      text:
        '*live* = V8 heapUsed + external right after a full GC (the process runs with `--expose-gc`; the reading is ' +
        "taken through the control plane's admin port): what the router/activator keep per connection and per " +
        'buffered request. RSS is what the OS sees, GC timing included (RSS that grew in one burst is not given back ' +
        'before the next: only the first burst of a run starts from a fresh process). *Buffered* readings are taken ' +
        "once the activator's `kn_revision_request_queued` gauge shows every request of the burst, before any is " +
        'answered. Per-request figures are computed per burst; medians over the bursts of each kind.',
      columns: ['', 'cold: RSS', 'cold: live', 'held: RSS', 'held: live'],
      right: [1, 2, 3, 4],
      rows: [
        memoryRow('idle (revision at zero, no connection)', cold, held, (s) => [s.idle.rssKb * 1024, s.idle.liveBytes], mbBytes),
        memoryRow(`${REQUESTS.toLocaleString('en-US')} idle connections`, cold, held, (s) => [s.connected.rssKb * 1024, s.connected.liveBytes], mbBytes),
        memoryRow('  per connection (over idle)', cold, held, (s) => [(s.connected.rssKb - s.idle.rssKb) * 1024, s.connected.liveBytes - s.idle.liveBytes], perReq),
        memoryRow(`${REQUESTS.toLocaleString('en-US')} requests buffered`, [], held, (s) => [(s.buffered?.rssKb ?? Number.NaN) * 1024, s.buffered?.liveBytes ?? Number.NaN], mbBytes),
        memoryRow(
          '  **per buffered request** (over the idle connections)',
          [],
          held,
          (s) => [((s.buffered?.rssKb ?? Number.NaN) - s.connected.rssKb) * 1024, (s.buffered?.liveBytes ?? Number.NaN) - s.connected.liveBytes],
          perReq,
        ),
        memoryRow('peak RSS during the burst', cold, held, (s) => [s.peakRssKb * 1024, Number.NaN], mbBytes),
        memoryRow('  RSS growth, idle → peak', cold, held, (s) => [(s.peakRssKb - s.idle.rssKb) * 1024, Number.NaN], mbBytes),
        memoryRow('after (all answered, connections still open)', cold, held, (s) => [s.after.rssKb * 1024, s.after.liveBytes], mbBytes),
      ],
    },
    {
      title: 'Summary',
      columns: ['', 'cold', 'held'],
      right: [1, 2],
      rows: [
        ['time until all answered (median)', ms(med(cold.map((s) => s.result.allAnsweredMs))), ms(med(held.map((s) => s.result.allAnsweredMs)))],
        ['time to the first answer (median)', ms(med(cold.map((s) => s.result.firstAnswerMs))), ms(med(held.map((s) => s.result.firstAnswerMs)))],
        [
          'first answer → all answered (median)',
          ms(med(cold.map((s) => s.result.allAnsweredMs - s.result.firstAnswerMs))),
          ms(med(held.map((s) => s.result.allAnsweredMs - s.result.firstAnswerMs))),
        ],
        ['latency p99 (median over bursts)', ms(med(cold.map((s) => s.latencyMs.p99))), ms(med(held.map((s) => s.latencyMs.p99)))],
      ],
    },
  ];
  const notes: string[] = [];
  for (const s of bad) {
    notes.push(`Burst ${String(s.i)} (${s.variant}): ${String(s.result.errors)} errors, statuses ${JSON.stringify(s.result.statusCodes)}; first errors: ${s.result.errorSamples.join(' | ') || '–'}.`);
  }
  for (const s of held) {
    if (s.buffered !== undefined && (s.buffered.queued < REQUESTS || s.buffered.answeredBefore)) {
      notes.push(
        `Burst ${String(s.i)} (held): the buffered reading saw ${String(s.buffered.queued)} queued requests` +
          `${s.buffered.answeredBefore ? ' and came after the first answer' : ''}: its per-request figure is not clean.`,
      );
    }
  }
  const busy = samples.filter((s) => s.othersPct >= 10);
  if (busy.length > 0) {
    notes.push(`Other processes used ≥ 10 % of a CPU during ${String(busy.length)} of ${String(samples.length)} bursts: the machine was not quiet.`);
  }
  return {
    settings: {
      requests: REQUESTS,
      sockets: REQUESTS,
      'bursts of each kind': samples.length / 2,
      'max-scale': MAX_SCALE,
      'held start delay': `${String(HOLD_MS)} ms`,
    },
    goals,
    sections,
    notes,
    data: toJson(samples),
  };
}

const suite: CustomSuite = {
  kind: 'custom',
  name: 'burst',
  description:
    `${REQUESTS.toLocaleString('en-US')} requests arriving at once at a revision at zero through kdp's control plane ` +
    '(router → in-process activator, which buffers them, pokes the autoscaler and releases them when the pod is ' +
    'ready). Zero errors expected; the control plane\'s RSS growth and bytes per buffered request reported. ' +
    'Placement: the control plane (and the pod\'s queue-proxy, its child) on the proxy CPU; the user process and ' +
    'the client on the app CPU.',
  preflight: controlPlanePreflight,
  async run(ctx) {
    const n = ctx.options.samples ?? (ctx.options.quick ? QUICK_BURSTS : DEFAULT_BURSTS);
    const cp = await startControlPlaneHost(ctx, { autoscaler: { allowZeroInitialScale: true }, nodeFlags: ['--expose-gc'] });
    const samples: BurstSample[] = [];
    for (let i = 1; i <= n; i++) {
      for (const variant of ['cold', 'held'] as const) {
        const s = await burst(ctx, cp, i, variant);
        samples.push(s);
        ctx.log(
          `burst ${String(i)}/${String(n)} ${variant}: ${String(s.result.ok)}/${String(s.result.requests)} 2xx, ` +
            `${String(s.result.errors)} errors, all answered in ${ms(s.result.allAnsweredMs)}, p99 ${ms(s.latencyMs.p99)}, ` +
            `RSS ${mb(s.idle.rssKb)} → peak ${mb(s.peakRssKb)}, listen drops ${String(s.listenDrops)}` +
            (s.buffered === undefined ? '' : `; buffered ${String(s.buffered.queued)}: live +${perReq(s.buffered.liveBytes - s.connected.liveBytes)}/req`) +
            `; others ${String(s.othersPct)} %`,
        );
      }
    }
    await cp.process.stop();
    return outcome(samples);
  },
};

export default suite;
