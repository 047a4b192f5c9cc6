/**
 * Issue 10: `kdp serve` as a broker for the eventing suites. It runs as the CLI runs it (`node
 * packages/cli/bin/kdp.js serve`) with a fresh data directory, on the proxy CPU; the broker and its trigger are
 * created with the `kdp` CLI (on the load generator's CPU, before any load); events reach it through the router's
 * broker-ingress host, as a producer's curl does. With `nats`, a `nats-server -js` with a fresh store directory is
 * started on the app CPU (it stands for the remote JetStream a multi-machine set-up uses).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSampleApp } from './sample-app.js';
import type { ManagedProcess, ProcessRef, Target, TargetContext } from '../types.js';

export const KDP_BIN = 'packages/cli/bin/kdp.js';
export const NATS_SERVER = process.env['NATS_SERVER'] ?? '/usr/sbin/nats-server';
export const BROKER = 'bench';
export const INGRESS_PATH = `/default/${BROKER}`;
/** Headers of a binary-mode CloudEvent 1.0; the body is 15 bytes of JSON. */
export const EVENT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'ce-specversion': '1.0',
  'ce-id': 'bench-1',
  'ce-type': 'greeting',
  'ce-source': 'bench',
  'content-type': 'application/json',
});
export const EVENT_BODY = '{"msg":"hello"}';

export type SyncMode = 'full' | 'normal';

export interface KdpServeOptions {
  readonly sync?: SyncMode;
  /** `nats://HOST:PORT`: the NATS JetStream backend instead of the embedded SQLite store. */
  readonly natsUrl?: string;
  /** Reuse a data directory (a restart after kill -9); default a fresh one. */
  readonly dataDir?: string;
  readonly ports?: readonly [number, number];
  /** Extra `node` flags for `kdp serve` (`--cpu-prof`); also `KDP_BENCH_SERVE_NODE_FLAGS`, space-separated. */
  readonly nodeFlags?: readonly string[];
  readonly name?: string;
}

export interface KdpServe {
  readonly process: ManagedProcess;
  readonly dataDir: string;
  readonly routerPort: number;
  readonly apiPort: number;
  /** `http://127.0.0.1:<api port>`, for `KDP_SERVER`. */
  readonly server: string;
  /** The Host header the router forwards to the broker ingress. */
  readonly ingressHost: string;
}

export function kdpServePreflight(repoRoot: string): Promise<void> {
  return access(join(repoRoot, 'packages/cli/dist/main.js')).catch(() => {
    throw new Error('kdp is not built: packages/cli/dist/main.js does not exist. Run `npm run build` first.');
  });
}

export async function natsPreflight(): Promise<void> {
  await access(NATS_SERVER).catch(() => {
    throw new Error(`${NATS_SERVER} not found: install the Debian package nats-server (or set NATS_SERVER)`);
  });
}

/** Starts `kdp serve` on the proxy CPU and waits until its control API answers. */
export async function startKdpServe(ctx: Pick<TargetContext, 'spawn' | 'freePorts' | 'repoRoot' | 'waitForFirstResponse'>, o: KdpServeOptions = {}): Promise<KdpServe> {
  const [routerPort, apiPort] = o.ports ?? ((await ctx.freePorts(2)) as [number, number]);
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'kdp-bench-eventing-'));
  const envFlags = (process.env['KDP_BENCH_SERVE_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== '');
  const proc = ctx.spawn({
    role: 'proxy',
    name: o.name ?? 'kdp-serve',
    command: process.execPath,
    args: [
      ...envFlags,
      ...(o.nodeFlags ?? []),
      join(ctx.repoRoot, KDP_BIN),
      'serve',
      '--data-dir', dataDir,
      '--router-port', String(routerPort),
      '--api-port', String(apiPort),
      '--log-level', 'warn',
      '--eventing-sync', o.sync ?? 'full',
      ...(o.natsUrl === undefined ? [] : ['--eventing-backend', o.natsUrl]),
    ],
  });
  const server = `http://127.0.0.1:${String(apiPort)}`;
  await ctx.waitForFirstResponse(`${server}/healthz`, proc, 30_000);
  return { process: proc, dataDir, routerPort, apiPort, server, ingressHost: `broker-ingress.knative-eventing.localhost:${String(routerPort)}` };
}

/** Runs the `kdp` CLI against `serve`; resolves with its stdout, rejects with its output on a non-zero exit. */
export function kdpCli(repoRoot: string, serve: KdpServe, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, KDP_BIN), ...args], {
      env: { ...process.env, KDP_SERVER: serve.server, KDP_DATA_DIR: serve.dataDir, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kdp ${args.join(' ')}: exit ${String(code)}: ${out.trim()}`))));
  });
}

/** `kdp broker create bench` and a trigger `bench` to `sinkUrl`; waits until the trigger is Ready. */
export async function createBrokerAndTrigger(repoRoot: string, serve: KdpServe, sinkUrl: string, triggerArgs: readonly string[] = []): Promise<void> {
  await kdpCli(repoRoot, serve, 'broker', 'create', BROKER);
  await kdpCli(repoRoot, serve, 'trigger', 'create', BROKER, '--broker', BROKER, '--sink', sinkUrl, ...triggerArgs);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const t = JSON.parse(await kdpCli(repoRoot, serve, 'trigger', 'describe', BROKER, '-o', 'json')) as {
      status?: { conditions?: { type: string; status: string }[] };
    };
    if (t.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true) return;
    if (Date.now() > deadline) throw new Error(`trigger ${BROKER} not Ready after 15 s: ${JSON.stringify(t.status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface NatsServer {
  readonly process: ManagedProcess;
  readonly url: string;
  /** Its JetStream store directory (remove it once the server is stopped). */
  readonly storeDir: string;
}

/** Removes the temporary directories of a run (data directories, JetStream stores). */
export function removeDirs(dirs: readonly string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** `nats-server -js` on a free port with a fresh store directory, on the app CPU. */
export async function startNats(ctx: Pick<TargetContext, 'spawn' | 'freePorts' | 'waitForFirstResponse'>): Promise<NatsServer> {
  const [port, monitor] = (await ctx.freePorts(2)) as [number, number];
  const store = mkdtempSync(join(tmpdir(), 'kdp-bench-nats-'));
  const proc = ctx.spawn({
    role: 'app',
    name: 'nats-server',
    command: NATS_SERVER,
    args: ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor)],
  });
  // The monitoring port's /healthz answers 200 once JetStream is up.
  await ctx.waitForFirstResponse(`http://127.0.0.1:${String(monitor)}/healthz`, proc, 15_000);
  return { process: proc, url: `nats://127.0.0.1:${String(port)}`, storeDir: store };
}

/**
 * A broker target: the sample app as the trigger's sink (on the app CPU, as for the `direct` baseline, which is
 * then the plain POST to the same sink), `kdp serve` on the proxy CPU, the load aimed at the broker ingress through
 * the router. Every event the load generator sees accepted is also delivered to the sink by the same process.
 */
export function brokerTarget(name: string, o: { readonly sync: SyncMode; readonly nats?: boolean }): Target {
  return {
    name,
    async start(ctx) {
      const app = await startSampleApp(ctx);
      const related: ProcessRef[] = [];
      let natsUrl: string | undefined;
      const dirs: string[] = [];
      if (o.nats === true) {
        const nats = await startNats(ctx);
        natsUrl = nats.url;
        dirs.push(nats.storeDir);
        related.push(nats.process);
      }
      const serve = await startKdpServe(ctx, { sync: o.sync, ...(natsUrl === undefined ? {} : { natsUrl }) });
      dirs.push(serve.dataDir);
      await createBrokerAndTrigger(ctx.repoRoot, serve, `${app.url}/`);
      return {
        url: `http://127.0.0.1:${String(serve.routerPort)}`,
        headers: { host: serve.ingressHost },
        measured: serve.process,
        app: app.process,
        related,
        startupMs: Number(process.hrtime.bigint() - serve.process.spawnedAtNs) / 1e6,
        // Called before the runner stops the processes: stop the ones writing there first.
        stop: async () => {
          await serve.process.stop();
          for (const p of related) if ('stop' in p && typeof p.stop === 'function') await (p as ManagedProcess).stop();
          removeDirs(dirs);
        },
      };
    },
  };
}
