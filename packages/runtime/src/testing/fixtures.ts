/*
 * Test-only programs, written to a temporary directory by the tests: a fake queue-proxy (listens on its ports,
 * proxies nothing, exits on SIGTERM after an optional drain delay), a configurable user app, and a control-plane
 * stand-in for the no-orphan test. Kept as source strings so they need neither a build nor a lint exception.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The variables the real queue-proxy requires; the fake one exits 1 when any is missing. */
export const QUEUE_PROXY_REQUIRED_ENV: readonly string[] = [
  'CONTAINER_CONCURRENCY',
  'QUEUE_SERVING_PORT',
  'QUEUE_SERVING_TLS_PORT',
  'USER_PORT',
  'REVISION_TIMEOUT_SECONDS',
  'REVISION_RESPONSE_START_TIMEOUT_SECONDS',
  'REVISION_IDLE_TIMEOUT_SECONDS',
  'SERVING_READINESS_PROBE',
  'SERVING_LOGGING_CONFIG',
  'SERVING_LOGGING_LEVEL',
  'SERVING_NAMESPACE',
  'SERVING_SERVICE',
  'SERVING_CONFIGURATION',
  'SERVING_REVISION',
  'SERVING_POD',
  'SERVING_POD_IP',
  'KDP_ADMIN_PORT',
  'KDP_METRICS_PORT',
  'KDP_USER_METRICS_PORT',
  'KDP_BIND_HOST',
];

const FAKE_QUEUE_PROXY = `
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
const env = process.env;
const missing = ${JSON.stringify(QUEUE_PROXY_REQUIRED_ENV)}.filter((n) => env[n] === undefined);
if (missing.length > 0) {
  console.error('fake-qp: missing env ' + missing.join(','));
  process.exit(1);
}
const ports = [env.QUEUE_SERVING_PORT, env.KDP_ADMIN_PORT, env.KDP_METRICS_PORT];
let pending = ports.length;
const servers = ports.map((port, i) =>
  http.createServer((req, res) => res.end(i === 0 ? 'queue' : '')).listen(Number(port), env.KDP_BIND_HOST, () => {
    if (--pending === 0) {
      console.log('fake-qp: listening ' + env.QUEUE_SERVING_PORT + ' user=' + env.USER_PORT + ' pod=' + env.SERVING_POD);
    }
  }),
);
process.on('SIGTERM', () => {
  console.log('fake-qp: draining');
  setTimeout(() => {
    for (const s of servers) s.close();
    if (env.FAKE_QP_MARKER_DIR) fs.writeFileSync(path.join(env.FAKE_QP_MARKER_DIR, 'qp-exited'), String(Date.now()));
    console.log('fake-qp: exit');
    process.exit(0);
  }, Number(env.FAKE_QP_DRAIN_MS ?? '0'));
});
`;

const USER_APP = `
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
const env = process.env;
if (env.APP_COUNTER_FILE) {
  let n = 0;
  try { n = Number(fs.readFileSync(env.APP_COUNTER_FILE, 'utf8')); } catch {}
  fs.writeFileSync(env.APP_COUNTER_FILE, String(n + 1));
  if (n < Number(env.APP_CRASH_TIMES ?? '0')) {
    console.error('app: crashing on purpose, start ' + (n + 1));
    setTimeout(() => process.exit(Number(env.APP_CRASH_CODE ?? '3')), Number(env.APP_CRASH_AFTER_MS ?? '0'));
  }
}
const server = http.createServer((req, res) => res.end('hello from ' + env.K_REVISION));
server.listen(Number(env.PORT), '127.0.0.1', () => {
  const seen = { PORT: env.PORT, K_REVISION: env.K_REVISION, K_SERVICE: env.K_SERVICE,
    K_CONFIGURATION: env.K_CONFIGURATION, GREETING: env.GREETING, cwd: process.cwd() };
  console.log('app: listening ' + JSON.stringify(seen));
});
if (env.APP_SPAWN_GRANDCHILD) {
  const g = spawn('sleep', ['300'], { stdio: 'ignore' });
  console.log('app: grandchild ' + g.pid);
}
process.on('SIGTERM', () => {
  const dir = env.FAKE_QP_MARKER_DIR;
  const qpExited = dir ? fs.existsSync(path.join(dir, 'qp-exited')) : null;
  console.log('app: SIGTERM qpExited=' + qpExited);
  if (env.APP_IGNORE_SIGTERM) return;
  server.close();
  process.exit(0);
});
`;

/**
 * Argv: <runtime dist index URL> <fake queue-proxy path> <user app path>. Starts one pod whose app forks a
 * grandchild and ignores SIGTERM, prints `READY <json pids>`, then waits to be killed (or, with STAND_IN_CRASH set,
 * dies of an uncaught exception).
 */
const CONTROL_PLANE_STAND_IN = `
const [, , runtimeUrl, qpPath, appPath] = process.argv;
const { Supervisor, OrphanGuard, makeRevision, revisionKey } = await import(runtimeUrl);
const logger = { debug() {}, info() {}, warn() {}, error(o, m) { console.error(m); } };
const guard = new OrphanGuard({ logger, graceMs: 500 });
let grandchild;
let started = false;
const sup = new Supervisor({
  queueProxyCommand: [process.execPath, qpPath],
  env: { ...process.env, APP_IGNORE_SIGTERM: '1', APP_SPAWN_GRANDCHILD: '1' },
  logger,
  guard,
  logSink: (l) => {
    const m = /^app: grandchild (\\d+)/.exec(l.line);
    if (m) { grandchild = Number(m[1]); report(); }
  },
});
const rev = makeRevision({ name: 'orphans', container: { command: [process.execPath, appPath] } });
sup.addRevision(rev);
sup.on('podStarted', () => { started = true; report(); });
sup.scale(revisionKey(rev), 1);
function report() {
  if (!started || grandchild === undefined) return;
  const pids = sup.status(revisionKey(rev)).pods[0].pids;
  console.log('READY ' + JSON.stringify({ user: pids.user, queueProxy: pids.queueProxy, grandchild, guard: guard.pid }));
  if (process.env.STAND_IN_CRASH) {
    setTimeout(() => {
      throw new Error('control plane bug');
    }, 50);
  }
}
setInterval(() => {}, 1000);
`;

export interface Fixtures {
  readonly dir: string;
  readonly fakeQueueProxy: string;
  readonly userApp: string;
  readonly controlPlaneStandIn: string;
  remove(): void;
}

export function writeFixtures(): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'kdp-runtime-test-'));
  const files = {
    fakeQueueProxy: join(dir, 'fake-queue-proxy.mjs'),
    userApp: join(dir, 'user-app.mjs'),
    controlPlaneStandIn: join(dir, 'control-plane-stand-in.mjs'),
  };
  writeFileSync(files.fakeQueueProxy, FAKE_QUEUE_PROXY);
  writeFileSync(files.userApp, USER_APP);
  writeFileSync(files.controlPlaneStandIn, CONTROL_PLANE_STAND_IN);
  return {
    dir,
    ...files,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
