/**
 * Issue 10, the delivery side of the broker: producer-to-subscriber latency at one connection beside a plain POST to
 * the same subscriber (embedded store and NATS JetStream), and the recovery of `kdp serve` from `kill -9` with
 * 100,000 accepted, undelivered events stored.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { toJson } from '../custom.js';
import type { CustomContext, CustomOutcome, CustomSuite } from '../custom.js';
import { percentile } from '../stats.js';
import {
  createBrokerAndTrigger,
  EVENT_BODY,
  INGRESS_PATH,
  kdpServePreflight,
  natsPreflight,
  removeDirs,
  startKdpServe,
  startNats,
  type KdpServe,
} from '../targets/eventing.js';
import type { Goal } from '../types.js';

/** Issue 10: p50 producer-to-subscriber at one connection ≤ 2 ms above the direct POST. */
const MAX_ADDED_P50_MS = 2;
const LATENCY_SAMPLES = 2000;
const QUICK_LATENCY_SAMPLES = 200;
const WARMUP_SAMPLES = 200;
/** Issue 10: kill -9 recovery with this many undelivered events stored. */
const RECOVERY_EVENTS = 100_000;
const QUICK_RECOVERY_EVENTS = 10_000;
const FILL_CONNECTIONS = 50;

type Backend = 'embedded' | 'nats';

/**
 * The subscriber, in the runner's process (on the load generator's CPU): notes when each event id arrives. `hold`
 * keeps requests unanswered (a sink that hangs: what kdp sent stays undelivered); `answer` answers 200 at once.
 */
class Sink {
  readonly server: http.Server;
  mode: 'answer' | 'hold' = 'answer';
  readonly held: http.ServerResponse[] = [];
  /** Distinct ids answered with 200, and how many answers were duplicates. */
  readonly delivered = new Set<string>();
  duplicates = 0;
  firstAtNs = 0n;
  lastAtNs = 0n;
  onId: ((id: string, atNs: bigint) => void) | undefined;
  #allWaiter: { n: number; resolve: () => void } | undefined;

  constructor() {
    this.server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const at = process.hrtime.bigint();
        if (this.mode === 'hold') {
          this.held.push(res);
          return;
        }
        res.end();
        const id = String(req.headers['ce-id']);
        if (this.firstAtNs === 0n) this.firstAtNs = at;
        this.lastAtNs = at;
        if (this.delivered.has(id)) this.duplicates++;
        else this.delivered.add(id);
        this.onId?.(id, at);
        if (this.#allWaiter !== undefined && this.delivered.size >= this.#allWaiter.n) this.#allWaiter.resolve();
      });
    });
    this.server.keepAliveTimeout = 120_000;
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  reset(): void {
    this.delivered.clear();
    this.duplicates = 0;
    this.firstAtNs = 0n;
    this.lastAtNs = 0n;
  }

  /** Drops the held requests' connections (kdp sees them fail, or is gone already). */
  dropHeld(): void {
    for (const res of this.held.splice(0)) res.socket?.destroy();
  }

  waitAll(n: number, timeoutMs: number): Promise<boolean> {
    if (this.delivered.size >= n) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.#allWaiter = {
        n,
        resolve: () => {
          clearTimeout(t);
          this.#allWaiter = undefined;
          resolve(true);
        },
      };
    });
  }

  close(): Promise<void> {
    this.dropHeld();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** One POST of a binary-mode CloudEvent on `agent`; resolves with the status. */
function postEvent(agent: http.Agent, port: number, path: string, host: string, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { host, 'ce-specversion': '1.0', 'ce-id': id, 'ce-type': 'greeting', 'ce-source': 'bench', 'content-type': 'application/json', 'content-length': String(EVENT_BODY.length) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(EVENT_BODY);
  });
}

interface LatencyResult {
  readonly backend: Backend;
  readonly samples: number;
  readonly directMs: { p50: number; p90: number; p99: number };
  readonly brokerMs: { p50: number; p90: number; p99: number };
  readonly addedP50Ms: number;
  readonly othersPct: number;
  readonly loadAvg: readonly number[];
}

const summary = (us: number[]): { p50: number; p90: number; p99: number } => ({
  p50: percentile(us, 50) / 1000,
  p90: percentile(us, 90) / 1000,
  p99: percentile(us, 99) / 1000,
});

/** Temporary directories of the run (data directories, JetStream stores), removed at its end. */
const tempDirs: string[] = [];

async function startBroker(ctx: CustomContext, backend: Backend, sinkUrl: string): Promise<{ serve: KdpServe; natsUrl: string | undefined }> {
  let natsUrl: string | undefined;
  if (backend === 'nats') {
    const nats = await startNats(ctx);
    natsUrl = nats.url;
    tempDirs.push(nats.storeDir);
  }
  const serve = await startKdpServe(ctx, { sync: 'full', ...(natsUrl === undefined ? {} : { natsUrl }) });
  tempDirs.push(serve.dataDir);
  await createBrokerAndTrigger(ctx.repoRoot, serve, sinkUrl);
  return { serve, natsUrl };
}

/**
 * One event at a time on one keep-alive connection, alternating a plain POST to the sink and a POST to the broker:
 * time from just before the request is written to the sink's receipt of the whole event (for the broker: its
 * delivery). Interleaved, so a slow second of the machine hits both.
 */
async function latency(ctx: CustomContext, backend: Backend, n: number): Promise<LatencyResult> {
  const sink = new Sink();
  const sinkPort = await sink.listen();
  const { serve } = await startBroker(ctx, backend, `http://127.0.0.1:${String(sinkPort)}/`);
  const direct = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const broker = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const directUs: number[] = [];
  const brokerUs: number[] = [];
  let waiting: { id: string; resolve: (ns: bigint) => void } | undefined;
  sink.onId = (id, at) => {
    if (waiting?.id === id) waiting.resolve(at);
  };
  const one = async (agent: http.Agent, port: number, path: string, host: string, id: string): Promise<number> => {
    const got = new Promise<bigint>((resolve) => (waiting = { id, resolve }));
    const t0 = process.hrtime.bigint();
    const status = await postEvent(agent, port, path, host, id);
    if (status !== 200 && status !== 202) throw new Error(`${id}: status ${String(status)}`);
    return Number((await got) - t0) / 1000;
  };
  try {
    const window = ctx.othersCpuWindow();
    for (let i = -WARMUP_SAMPLES; i < n; i++) {
      const d = await one(direct, sinkPort, '/', `127.0.0.1:${String(sinkPort)}`, `direct-${String(i)}`);
      const b = await one(broker, serve.routerPort, INGRESS_PATH, serve.ingressHost, `broker-${String(i)}`);
      if (i >= 0) {
        directUs.push(d);
        brokerUs.push(b);
      }
    }
    const othersPct = window();
    directUs.sort((a, b) => a - b);
    brokerUs.sort((a, b) => a - b);
    const directMs = summary(directUs);
    const brokerMs = summary(brokerUs);
    return { backend, samples: n, directMs, brokerMs, addedP50Ms: brokerMs.p50 - directMs.p50, othersPct, loadAvg: loadavg() };
  } finally {
    direct.destroy();
    broker.destroy();
    await serve.process.stop();
    await sink.close();
  }
}

interface RecoveryResult {
  readonly backend: Backend;
  readonly events: number;
  readonly fillS: number;
  readonly fillEventsPerS: number;
  readonly refused503: number;
  /** From the restart's spawn: control API answering, first delivery, every event delivered. */
  readonly apiUpMs: number;
  readonly firstDeliveryMs: number;
  readonly allDeliveredMs: number | undefined;
  readonly delivered: number;
  readonly duplicates: number;
  readonly heldAtKill: number;
  readonly loadAvg: readonly number[];
}

/**
 * The sink hangs (holds every request unanswered: kdp keeps at most the Trigger's in-flight limit, 100 by default,
 * waiting on it and the rest queued) while `n` events are accepted; `kill -9`; the sink comes back answering 200;
 * `kdp serve` restarts on the same data directory and ports. Times are from the restart's spawn.
 */
async function recovery(ctx: CustomContext, backend: Backend, n: number): Promise<RecoveryResult> {
  const sink = new Sink();
  const sinkPort = await sink.listen();
  sink.mode = 'hold';
  const { serve: first, natsUrl } = await startBroker(ctx, backend, `http://127.0.0.1:${String(sinkPort)}/`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: FILL_CONNECTIONS });
  let next = 0;
  let refused = 0;
  const t0 = performance.now();
  const loop = async (): Promise<void> => {
    while (next < n) {
      const id = `rec-${String(next++)}`;
      for (;;) {
        const status = await postEvent(agent, first.routerPort, INGRESS_PATH, first.ingressHost, id);
        if (status === 202) break;
        if (status !== 503) throw new Error(`filling: ${id}: status ${String(status)}`);
        refused++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: FILL_CONNECTIONS }, loop));
  const fillS = (performance.now() - t0) / 1000;
  agent.destroy();
  ctx.log(`recovery (${backend}): ${String(n)} events accepted in ${fillS.toFixed(1)} s; ${String(sink.held.length)} held by the hanging sink; kill -9`);
  const heldAtKill = sink.held.length;
  process.kill(first.process.pid, 'SIGKILL');
  await first.process.exited;
  sink.dropHeld();
  sink.mode = 'answer';
  sink.reset();

  const restarted = await startKdpServe(ctx, { sync: 'full', dataDir: first.dataDir, ports: [first.routerPort, first.apiPort], name: 'kdp-serve-restarted', ...(natsUrl === undefined ? {} : { natsUrl }) });
  const spawnedNs = restarted.process.spawnedAtNs;
  const apiUpMs = Number(process.hrtime.bigint() - spawnedNs) / 1e6;
  const all = await sink.waitAll(n, 300_000);
  const result: RecoveryResult = {
    backend,
    events: n,
    fillS,
    fillEventsPerS: n / fillS,
    refused503: refused,
    apiUpMs,
    firstDeliveryMs: sink.firstAtNs === 0n ? Number.NaN : Number(sink.firstAtNs - spawnedNs) / 1e6,
    allDeliveredMs: all ? Number(sink.lastAtNs - spawnedNs) / 1e6 : undefined,
    delivered: sink.delivered.size,
    duplicates: sink.duplicates,
    heldAtKill,
    loadAvg: loadavg(),
  };
  await restarted.process.stop();
  await sink.close();
  return result;
}

const ms = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(v < 10 ? 3 : 0));
const la = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');

async function run(ctx: CustomContext): Promise<CustomOutcome> {
  try {
    return await measureAll(ctx);
  } finally {
    // kdp serve processes are stopped already; a nats-server still running loses its store at its stop anyway.
    removeDirs(tempDirs.splice(0));
  }
}

async function measureAll(ctx: CustomContext): Promise<CustomOutcome> {
  const quick = ctx.options.quick;
  const n = ctx.options.samples ?? (quick ? QUICK_LATENCY_SAMPLES : LATENCY_SAMPLES);
  const events = Number(process.env['KDP_BENCH_RECOVERY_EVENTS'] ?? (quick ? QUICK_RECOVERY_EVENTS : RECOVERY_EVENTS));
  const backends = (process.env['KDP_BENCH_BACKENDS'] ?? 'embedded,nats').split(',') as Backend[];
  const lat: LatencyResult[] = [];
  for (const b of backends) {
    ctx.log(`latency (${b}): ${String(n)} events each way, one at a time`);
    const r = await latency(ctx, b, n);
    ctx.log(`latency (${b}): direct p50 ${ms(r.directMs.p50)} ms, broker p50 ${ms(r.brokerMs.p50)} ms, added ${ms(r.addedP50Ms)} ms`);
    lat.push(r);
  }
  const rec: RecoveryResult[] = [];
  for (const b of backends) {
    const r = await recovery(ctx, b, events);
    ctx.log(`recovery (${b}): API up ${ms(r.apiUpMs)} ms, first delivery ${ms(r.firstDeliveryMs)} ms, all ${ms(r.allDeliveredMs)} ms after the restart`);
    rec.push(r);
  }
  const goals: Goal[] = lat.map((r) => ({
    goal: `p50 producer-to-subscriber at one connection ≤ 2 ms above the direct POST (${r.backend === 'embedded' ? 'embedded store, --eventing-sync full' : 'NATS JetStream'})`,
    measured: `broker p50 ${ms(r.brokerMs.p50)} ms − direct p50 ${ms(r.directMs.p50)} ms = **+${ms(r.addedP50Ms)} ms** (${String(r.samples)} events each)`,
    met: r.addedP50Ms <= MAX_ADDED_P50_MS,
  }));
  return {
    settings: { latencySamples: n, warmupSamples: WARMUP_SAMPLES, recoveryEvents: events, fillConnections: FILL_CONNECTIONS, backends: backends.join(',') },
    goals,
    sections: [
      {
        title: 'Producer-to-subscriber latency, one event at a time, one keep-alive connection each way (ms)',
        text: 'From just before the POST is written to the subscriber having read the whole event. *direct*: the POST to the subscriber itself; *broker*: the POST to the broker ingress through the router, the subscriber receiving the delivery. Alternated event by event.',
        columns: ['backend', 'direct p50', 'p90', 'p99', 'broker p50', 'p90', 'p99', 'added p50', 'others\' CPU %', 'load avg after'],
        right: [1, 2, 3, 4, 5, 6, 7, 8],
        rows: lat.map((r) => [r.backend, ms(r.directMs.p50), ms(r.directMs.p90), ms(r.directMs.p99), ms(r.brokerMs.p50), ms(r.brokerMs.p90), ms(r.brokerMs.p99), `+${ms(r.addedP50Ms)}`, String(r.othersPct), la(r.loadAvg)]),
      },
      {
        title: `kill -9 recovery with ${String(events)} undelivered events stored`,
        text: 'The subscriber hangs (holds every request unanswered) while the events are accepted (202 = stored) by 50 producer connections; `kill -9` of `kdp serve`; the subscriber answers 200 again; `kdp serve` restarts on the same data directory and ports. Times from the restart\'s spawn.',
        columns: ['backend', 'filled in', 'held at kill', 'control API up', 'first delivery', 'all delivered', 'delivered', 'duplicates', 'load avg after'],
        right: [1, 2, 3, 4, 5, 6, 7],
        rows: rec.map((r) => [r.backend, `${r.fillS.toFixed(1)} s (${Math.round(r.fillEventsPerS)}/s)`, String(r.heldAtKill), `${ms(r.apiUpMs)} ms`, `${ms(r.firstDeliveryMs)} ms`, r.allDeliveredMs === undefined ? 'not within 300 s' : `${(r.allDeliveredMs / 1000).toFixed(2)} s`, String(r.delivered), String(r.duplicates), la(r.loadAvg)]),
      },
    ],
    notes: [
      'The subscriber runs in the runner (load generator CPU); kdp serve on the proxy CPU; nats-server, when used, on the load generator CPU.',
      ...rec.filter((r) => r.delivered < r.events).map((r) => `recovery (${r.backend}): only ${String(r.delivered)} of ${String(r.events)} events delivered within 300 s.`),
    ],
    data: toJson({ latency: lat, recovery: rec }),
  };
}

const suite: CustomSuite = {
  kind: 'custom',
  name: 'eventing-delivery',
  description:
    'Issue 10: producer-to-subscriber latency through a kdp broker beside a plain POST to the same subscriber (embedded store with --eventing-sync full, and NATS JetStream), and kill -9 recovery of kdp serve with 100,000 undelivered events stored. `--samples N`: latency events per path (default 2,000; quick 200); KDP_BENCH_RECOVERY_EVENTS (default 100,000; quick 10,000); KDP_BENCH_BACKENDS (default embedded,nats).',
  async preflight(repoRoot) {
    await kdpServePreflight(repoRoot);
    await natsPreflight();
  },
  run,
};

export default suite;
