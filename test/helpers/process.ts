import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const QUEUE_PROXY_BIN = path.join(ROOT, 'packages/queue-proxy/bin/kdp-queue-proxy.js');

export interface Proc {
  readonly child: ChildProcessWithoutNullStreams;
  stdout: string;
  stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first JSON log line for which `match` is true. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): void;
}

const live = new Set<Proc>();

export function spawnNode(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  const lines: Record<string, unknown>[] = [];
  const proc: Proc = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    waitForLog(match, timeoutMs = 10_000) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`log line not seen in ${String(timeoutMs)} ms; stdout=${proc.stdout} stderr=${proc.stderr}`)), timeoutMs);
        waiters.push({ match, resolve: (l) => { clearTimeout(t); resolve(l); } });
      });
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    proc.stdout += d;
    partial += d;
    let nl: number;
    while ((nl = partial.indexOf('\n')) !== -1) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(obj);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i]!;
        if (w.match(obj)) {
          waiters.splice(i, 1);
          w.resolve(obj);
        }
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (proc.stderr += d));
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  return proc;
}

/** Kills every process a test left running (afterEach). */
export async function killAll(): Promise<void> {
  const procs = [...live];
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}

export interface QueueProxyProc extends Proc {
  readonly ports: { serving: number; admin: number; metrics: number; userMetrics: number };
}

export function queueProxyEnv(userPort: number, ports: QueueProxyProc['ports'], extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    CONTAINER_CONCURRENCY: '0',
    QUEUE_SERVING_PORT: String(ports.serving),
    QUEUE_SERVING_TLS_PORT: '8112',
    USER_PORT: String(userPort),
    REVISION_TIMEOUT_SECONDS: '300',
    SERVING_LOGGING_CONFIG: '',
    SERVING_LOGGING_LEVEL: '',
    SERVING_NAMESPACE: 'default',
    SERVING_SERVICE: 'hello',
    SERVING_CONFIGURATION: 'hello',
    SERVING_REVISION: 'hello-00001',
    SERVING_POD: 'hello-00001-pod',
    SERVING_POD_IP: '127.0.0.1',
    KDP_BIND_HOST: '127.0.0.1',
    KDP_ADMIN_PORT: String(ports.admin),
    KDP_METRICS_PORT: String(ports.metrics),
    KDP_USER_METRICS_PORT: String(ports.userMetrics),
    ...extra,
  };
}

/** Starts the real kdp-queue-proxy binary in front of `userPort` and waits until it listens. */
export async function startQueueProxy(userPort: number, extra: NodeJS.ProcessEnv = {}): Promise<QueueProxyProc> {
  const [serving, admin, metrics, userMetrics] = (await freePorts(4)) as [number, number, number, number];
  const ports = { serving, admin, metrics, userMetrics };
  const proc = spawnNode([QUEUE_PROXY_BIN], queueProxyEnv(userPort, ports, extra));
  await Promise.race([
    proc.waitForLog((l) => l.msg === 'queue-proxy ready'),
    proc.exited.then(({ code }) => {
      throw new Error(`queue-proxy exited ${String(code)}: ${proc.stderr}`);
    }),
  ]);
  return Object.assign(proc, { ports });
}
