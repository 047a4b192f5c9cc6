/**
 * kdp's local control plane (router + in-process activator + autoscaler + pod runtime, `@kdp/platform`)
 * in a process of its own, so the benchmark can pin it to the proxy CPU and read its CPU and RSS from /proc. Pods are
 * its children: their queue-proxies inherit its CPU; a revision's command may pin the user process elsewhere
 * (`taskset -c 1 node …`).
 *
 * Configured by environment (all JSON but the ports and level):
 *   KDP_BENCH_ROUTER_PORT          router port (0: any)
 *   KDP_BENCH_ADMIN_PORT           the admin API below, on 127.0.0.1 (required)
 *   KDP_BENCH_QUEUE_PROXY_COMMAND  ["node", "--max-semi-space-size=1", ".../main.js"]: the queue-proxy as deployed
 *   KDP_BENCH_AUTOSCALER           Partial<AutoscalerConfig>, e.g. {"allowZeroInitialScale": true}
 *   KDP_BENCH_REVISIONS            RevisionInput[] added at start (makeRevision from @kdp/runtime)
 *   KDP_BENCH_ROUTES               RouteInput[] set at start
 *   KDP_BENCH_LOG_LEVEL            default warn (nothing logged per request either way)
 *
 * Admin API (JSON; the benchmark's remote control, idle while load runs):
 *   GET    /healthz                       200 {routerUrl, domain} once started
 *   POST   /revisions                     RevisionInput → addRevision(makeRevision(…)) → 201 {key}
 *   DELETE /revisions/<namespace>/<name>  removeRevision, answered once its pods are gone → 204
 *   PUT    /routes                        RouteInput[] → setRoutes → 204
 *   GET    /status/<namespace>/<name>     revisionStatus → 200 JSON | 404
 *   GET    /metrics                       metricsText(): the activator's Prometheus metrics (cold-start phases...)
 *   GET    /memory[?gc=1]                 process.memoryUsage(), after a full GC when asked (needs --expose-gc)
 *   GET    /events?key=<namespace>/<name> milestones of a revision, each with the wall-clock time this process saw it
 *                                         (`performance.timeOrigin + performance.now()`, ms): pod output lines
 *                                         "listening" (sample app) and "queue-proxy ready", and the control plane's
 *                                         revisionReady / scaled events
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { createLogger, isLogLevel } from '@kdp/core';
import type { RouteInput } from '@kdp/router';
import { startControlPlane } from '@kdp/platform';
import type { ControlPlane, ControlPlaneOptions } from '@kdp/platform';
import { makeRevision } from '@kdp/runtime';
import type { RevisionInput } from '@kdp/runtime';

export type MilestoneKind = 'user-listening' | 'queue-proxy-ready' | 'revision-ready' | 'scaled';

export interface Milestone {
  readonly key: string;
  readonly kind: MilestoneKind;
  /** Wall clock in ms with sub-ms precision, comparable across processes of this machine. */
  readonly atMs: number;
  readonly pod?: string;
  /** `scaled`: the desired pod count. */
  readonly desired?: number;
}

const MAX_MILESTONES = 10_000;
const milestones: Milestone[] = [];
const wallMs = (): number => performance.timeOrigin + performance.now();

function milestone(m: Milestone): void {
  milestones.push(m);
  if (milestones.length > MAX_MILESTONES) milestones.splice(0, milestones.length - MAX_MILESTONES / 2);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Just enough shape for makeRevision, which validates the rest (every problem at once). */
export function asRevisionInput(v: unknown): RevisionInput {
  if (!isRecord(v) || typeof v['name'] !== 'string' || !isRecord(v['container']) || !isStringArray(v['container']['command'])) {
    throw new TypeError('a revision needs a name and container.command (a list of strings)');
  }
  return v as unknown as RevisionInput;
}

/** Just enough shape for setRoutes, which validates the rest (RouteTableError lists every problem). */
export function asRouteInputs(v: unknown): RouteInput[] {
  if (!Array.isArray(v) || !v.every((r) => isRecord(r) && typeof r['name'] === 'string' && Array.isArray(r['split']))) {
    throw new TypeError('routes: want a list of {namespace, name, split: [{revisionName, percent}], tags?}');
  }
  return v as RouteInput[];
}

function jsonEnv(name: string): unknown {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new Error(`${name}: not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? undefined : (JSON.parse(text) as unknown));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

function send(res: http.ServerResponse, status: number, body?: unknown, type = 'application/json'): void {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) }).end(text);
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

function adminHandler(cp: ControlPlane): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const key = parts.length === 3 ? `${decodeURIComponent(parts[1] ?? '')}/${decodeURIComponent(parts[2] ?? '')}` : '';
    try {
      if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { routerUrl: cp.routerUrl, domain: cp.domain });
      if (req.method === 'POST' && url.pathname === '/revisions') {
        const rev = makeRevision(asRevisionInput(await readBody(req)));
        cp.addRevision(rev);
        return send(res, 201, { key: `${rev.namespace}/${rev.name}` });
      }
      if (req.method === 'DELETE' && parts[0] === 'revisions' && key !== '') {
        await cp.removeRevision(key);
        return send(res, 204);
      }
      if (req.method === 'PUT' && url.pathname === '/routes') {
        cp.setRoutes(asRouteInputs(await readBody(req)));
        return send(res, 204);
      }
      if (req.method === 'GET' && parts[0] === 'status' && key !== '') {
        const status = cp.revisionStatus(key);
        return status === undefined ? send(res, 404, { error: `no revision ${key}` }) : send(res, 200, status);
      }
      if (req.method === 'GET' && url.pathname === '/events') {
        const want = url.searchParams.get('key');
        return send(res, 200, want === null ? milestones : milestones.filter((m) => m.key === want));
      }
      if (req.method === 'GET' && url.pathname === '/metrics') return send(res, 200, await cp.metricsText(), 'text/plain');
      if (req.method === 'GET' && url.pathname === '/memory') {
        const wantGc = url.searchParams.get('gc') === '1';
        if (wantGc && gc === undefined) return send(res, 400, { error: 'gc requested, but node runs without --expose-gc' });
        if (wantGc) gc?.();
        return send(res, 200, { ...process.memoryUsage(), gc: wantGc });
      }
      return send(res, 404, { error: `no ${req.method ?? ''} ${url.pathname}` });
    } catch (err) {
      return send(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  };
}

async function main(): Promise<void> {
  const adminPort = Number(process.env['KDP_BENCH_ADMIN_PORT']);
  if (!Number.isInteger(adminPort) || adminPort <= 0) throw new Error('KDP_BENCH_ADMIN_PORT: want a port');
  const level = process.env['KDP_BENCH_LOG_LEVEL'] ?? 'warn';
  if (!isLogLevel(level)) throw new Error(`KDP_BENCH_LOG_LEVEL: unknown level ${JSON.stringify(level)}`);
  const qp = jsonEnv('KDP_BENCH_QUEUE_PROXY_COMMAND');
  if (qp !== undefined && !isStringArray(qp)) throw new Error('KDP_BENCH_QUEUE_PROXY_COMMAND: want a list of strings');
  const autoscaler = jsonEnv('KDP_BENCH_AUTOSCALER');
  if (autoscaler !== undefined && !isRecord(autoscaler)) throw new Error('KDP_BENCH_AUTOSCALER: want an object');
  const revisions = jsonEnv('KDP_BENCH_REVISIONS') ?? [];
  if (!Array.isArray(revisions)) throw new Error('KDP_BENCH_REVISIONS: want a list');
  const routes = asRouteInputs(jsonEnv('KDP_BENCH_ROUTES') ?? []);

  const options: ControlPlaneOptions = {
    routerPort: Number(process.env['KDP_BENCH_ROUTER_PORT'] ?? '0'),
    logger: createLogger({ name: 'kdp-bench-control-plane', level }),
    // Pod output (the sample app's one "listening" line) goes to this process's log file.
    logSink: (l) => {
      if (l.container === 'user-container' && l.line.includes('"msg":"listening"')) {
        milestone({ key: l.revisionKey, kind: 'user-listening', atMs: wallMs(), pod: l.pod });
      } else if (l.container === 'queue-proxy' && l.line.includes('"msg":"queue-proxy ready"')) {
        milestone({ key: l.revisionKey, kind: 'queue-proxy-ready', atMs: wallMs(), pod: l.pod });
      }
      process.stdout.write(`[${l.pod} ${l.container}] ${l.line}\n`);
    },
    // The runner stops this process with SIGTERM and waits 5 s before SIGKILL: stay well inside that.
    shutdownGraceMs: 1000,
    ...(qp === undefined ? {} : { queueProxyCommand: qp }),
    ...(autoscaler === undefined ? {} : { autoscaler }),
  };
  const cp = await startControlPlane(options);
  cp.events.on('revisionReady', (key) => milestone({ key, kind: 'revision-ready', atMs: wallMs() }));
  cp.events.on('scaled', (key, desired) => milestone({ key, kind: 'scaled', atMs: wallMs(), desired }));
  const handle = adminHandler(cp);
  const admin = http.createServer((req, res) => void handle(req, res));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    admin.close(() => undefined);
    admin.closeAllConnections();
    cp.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`control plane stop failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  for (const r of revisions) cp.addRevision(makeRevision(asRevisionInput(r)));
  if (routes.length > 0) cp.setRoutes(routes);

  await new Promise<void>((resolve, reject) => {
    admin.once('error', reject);
    admin.listen(adminPort, '127.0.0.1', () => resolve());
  });
  process.stdout.write(`${JSON.stringify({ msg: 'bench control plane up', routerUrl: cp.routerUrl, adminPort })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench control plane: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
