import { request } from 'node:http';
import { join } from 'node:path';
import type { RevisionRuntimeStatus } from '@kdp/platform';
import type { RouteInput } from '@kdp/router';
import type { RevisionInput } from '@kdp/runtime';
import type { Milestone } from '../platform/control-plane-host.js';
import { queueProxyCommand, queueProxyPreflight } from './queue-proxy.js';
import { requireBuilt, sampleAppPreflight } from './sample-app.js';
import type { ManagedProcess, Placement, ProcessRef, Target, TargetContext } from '../types.js';

/** The benchmark's control plane process (src/platform/control-plane-host.ts), built with the bench. */
export const CONTROL_PLANE_HOST = 'bench/dist/platform/control-plane-host.js';
/** The platform it runs, built by `tsc -b packages/platform`. */
export const CONTROL_PLANE_MAIN = 'packages/platform/dist/index.js';
/** The user command of every revision the suites create: the sample app's bin, as a user would name it. */
export const SAMPLE_APP_BIN = 'packages/sample-app/bin/kdp-sample-app.js';

export const NAMESPACE = 'default';

/** What starting the control plane process needs: a target's context, or a custom suite's. */
export type ProcessContext = Pick<TargetContext, 'placement' | 'repoRoot' | 'spawn' | 'freePorts' | 'waitForFirstResponse'>;

export interface MemoryUsage {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** A full GC ran right before. */
  readonly gc: boolean;
}

/** The control plane process and its admin API (see control-plane-host.ts). */
export interface ControlPlaneHost {
  readonly process: ManagedProcess;
  readonly routerUrl: string;
  /** Route host domain (`localhost`): a service is reached with `Host: <service>.<namespace>.<domain>`. */
  readonly domain: string;
  /** From spawn to its admin API answering (control plane started, initial revisions added). */
  readonly startupMs: number;
  hostOf(service: string, namespace?: string): string;
  addRevision(input: RevisionInput): Promise<string>;
  /** Resolves once the revision's pods are drained and gone. */
  removeRevision(key: string): Promise<void>;
  setRoutes(routes: readonly RouteInput[]): Promise<void>;
  status(key: string): Promise<RevisionRuntimeStatus | undefined>;
  metricsText(): Promise<string>;
  memory(opts?: { readonly gc?: boolean }): Promise<MemoryUsage>;
  /** What the control plane saw of a revision, with wall-clock times (`performance.timeOrigin + performance.now()`). */
  events(key: string): Promise<Milestone[]>;
}

export interface ControlPlaneHostOptions {
  readonly revisions?: readonly RevisionInput[];
  readonly routes?: readonly RouteInput[];
  /** `config-autoscaler` overrides, e.g. `{ allowZeroInitialScale: true }`. */
  readonly autoscaler?: Readonly<Record<string, unknown>>;
  /** V8 flags of the control plane process (`--expose-gc` for `memory({ gc: true })`). */
  readonly nodeFlags?: readonly string[];
}

interface AdminAnswer {
  readonly status: number;
  readonly text: string;
}

function adminCall(base: string, method: string, path: string, body?: unknown): Promise<AdminAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      {
        method,
        agent: false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function expectStatus(what: string, a: AdminAnswer, ...ok: number[]): AdminAnswer {
  if (!ok.includes(a.status)) throw new Error(`control plane: ${what}: ${String(a.status)} ${a.text}`);
  return a;
}

/**
 * Spawns the control plane on the proxy CPU (its pods' queue-proxies inherit that CPU) with the queue-proxy run as
 * deployed (its V8 flags), and waits for its admin API.
 */
export async function startControlPlaneHost(ctx: ProcessContext, opts: ControlPlaneHostOptions = {}): Promise<ControlPlaneHost> {
  const [routerPort, adminPort] = await ctx.freePorts(2);
  if (routerPort === undefined || adminPort === undefined) throw new Error('no free ports');
  const proc = ctx.spawn({
    role: 'proxy',
    name: 'control-plane',
    command: process.execPath,
    args: [...(opts.nodeFlags ?? []), join(ctx.repoRoot, CONTROL_PLANE_HOST)],
    env: {
      KDP_BENCH_ROUTER_PORT: String(routerPort),
      KDP_BENCH_ADMIN_PORT: String(adminPort),
      KDP_BENCH_QUEUE_PROXY_COMMAND: JSON.stringify(queueProxyCommand(ctx.repoRoot)),
      KDP_BENCH_REVISIONS: JSON.stringify(opts.revisions ?? []),
      KDP_BENCH_ROUTES: JSON.stringify(opts.routes ?? []),
      ...(opts.autoscaler === undefined ? {} : { KDP_BENCH_AUTOSCALER: JSON.stringify(opts.autoscaler) }),
    },
  });
  const admin = `http://127.0.0.1:${String(adminPort)}`;
  const startupMs = await ctx.waitForFirstResponse(`${admin}/healthz`, proc, 30_000);
  const health = JSON.parse(expectStatus('healthz', await adminCall(admin, 'GET', '/healthz'), 200).text) as { routerUrl: string; domain: string };
  const path = (key: string): string => key.split('/').map(encodeURIComponent).join('/');
  return {
    process: proc,
    routerUrl: health.routerUrl,
    domain: health.domain,
    startupMs,
    hostOf: (service, namespace = NAMESPACE) => `${service}.${namespace}.${health.domain}`,
    async addRevision(input) {
      const a = expectStatus(`add revision ${input.name}`, await adminCall(admin, 'POST', '/revisions', input), 201);
      return (JSON.parse(a.text) as { key: string }).key;
    },
    async removeRevision(key) {
      expectStatus(`remove revision ${key}`, await adminCall(admin, 'DELETE', `/revisions/${path(key)}`), 204);
    },
    async setRoutes(routes) {
      expectStatus('set routes', await adminCall(admin, 'PUT', '/routes', routes), 204);
    },
    async status(key) {
      const a = expectStatus(`status of ${key}`, await adminCall(admin, 'GET', `/status/${path(key)}`), 200, 404);
      return a.status === 404 ? undefined : (JSON.parse(a.text) as RevisionRuntimeStatus);
    },
    async metricsText() {
      return expectStatus('metrics', await adminCall(admin, 'GET', '/metrics'), 200).text;
    },
    async events(key) {
      const a = expectStatus('events', await adminCall(admin, 'GET', `/events?key=${encodeURIComponent(key)}`), 200);
      return JSON.parse(a.text) as Milestone[];
    },
    async memory(o = {}) {
      const a = expectStatus('memory', await adminCall(admin, 'GET', o.gc === true ? '/memory?gc=1' : '/memory'), 200);
      return JSON.parse(a.text) as MemoryUsage;
    },
  };
}

export interface SampleRevisionOptions {
  readonly service: string;
  /** Revision name; default `<service>-00001`. */
  readonly name?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly containerConcurrency?: number;
  /** Start the app this long after the pod's user process is spawned (`sh -c 'sleep …; exec node …'`). */
  readonly delayStartMs?: number;
}

/**
 * A revision of the sample app (its bin, as a user names it) whose user process runs on the app CPU: `taskset -c
 * <app CPU>` when pinned (the control plane and, through it, the queue-proxy, are on the proxy CPU).
 */
export function sampleAppRevision(placement: Placement, repoRoot: string, o: SampleRevisionOptions): RevisionInput {
  const node = [process.execPath, join(repoRoot, SAMPLE_APP_BIN)];
  const app =
    o.delayStartMs === undefined
      ? node
      : ['sh', '-c', `sleep ${(o.delayStartMs / 1000).toFixed(3)} && exec "$0" "$@"`, ...node];
  const command = placement.pinned ? ['taskset', '-c', placement.appCpus, ...app] : app;
  return {
    namespace: NAMESPACE,
    name: o.name ?? `${o.service}-00001`,
    service: o.service,
    configuration: o.service,
    container: { command },
    ...(o.containerConcurrency === undefined ? {} : { containerConcurrency: o.containerConcurrency }),
    ...(o.annotations === undefined ? {} : { annotations: o.annotations }),
  };
}

/** `service` → 100 % to `revision`. */
export function routeTo(service: string, revision: string): RouteInput {
  return { namespace: NAMESPACE, name: service, split: [{ revisionName: revision, percent: 100 }] };
}

/** The running pods' processes of a revision: the queue-proxy on the proxy CPU, the user process on the app CPU. */
export function podProcesses(status: RevisionRuntimeStatus | undefined): { queueProxy: ProcessRef; app: ProcessRef } {
  const pod = status?.pods.find((p) => p.phase === 'running' && p.ready);
  const qp = pod?.pids.queueProxy;
  const user = pod?.pids.user;
  if (qp === undefined || user === undefined) {
    throw new Error(`no running, ready pod with both processes in ${JSON.stringify(status ?? null)}`);
  }
  return {
    queueProxy: { name: 'queue-proxy', role: 'proxy', pid: qp },
    app: { name: 'sample-app', role: 'app', pid: user },
  };
}

/**
 * The sample app as a kdp revision with min-scale 1 (a pod always up: warm), reached through the control plane's
 * router by Host. In kdp the router hands every request to the in-process activator (packages/router/src/
 * handler.ts: there is no separate warm path), which proxies it to the pod's queue-proxy: router → activator →
 * queue-proxy → app, one network hop before the queue-proxy's. The control plane process is measured; the pod's
 * queue-proxy shares its CPU (it inherits its affinity) and its CPU is reported beside; the app runs on the app CPU.
 * Startup: spawn of the control plane to its first 2xx through the router (control plane start, pod start, probe).
 */
export function controlPlaneTarget(name = 'kdp'): Target {
  return {
    name,
    async start(ctx) {
      const service = 'hello';
      const cc = ctx.scenario.env?.['CONTAINER_CONCURRENCY'];
      const rev = sampleAppRevision(ctx.placement, ctx.repoRoot, {
        service,
        annotations: { 'autoscaling.knative.dev/min-scale': '1' },
        ...(cc === undefined ? {} : { containerConcurrency: Number(cc) }),
      });
      const host = await startControlPlaneHost(ctx, { revisions: [rev], routes: [routeTo(service, rev.name)] });
      const headers = { host: host.hostOf(service) };
      const startupMs = await ctx.waitForFirstResponse(`${host.routerUrl}/`, host.process, { headers, timeoutMs: 30_000 });
      const pod = podProcesses(await host.status(`${NAMESPACE}/${rev.name}`));
      return { url: host.routerUrl, headers, measured: host.process, app: pod.app, related: [pod.queueProxy], startupMs };
    },
  };
}

export async function controlPlanePreflight(repoRoot: string): Promise<void> {
  await sampleAppPreflight(repoRoot);
  await queueProxyPreflight(repoRoot);
  await requireBuilt(repoRoot, SAMPLE_APP_BIN, 'the sample app bin');
  await requireBuilt(repoRoot, CONTROL_PLANE_MAIN, 'the control plane (packages/platform)');
  await requireBuilt(repoRoot, CONTROL_PLANE_HOST, "the benchmark's control plane process");
}
