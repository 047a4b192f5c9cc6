// Start-up of the queue-proxy binary, before/after style: for each checkout given, spawns its
// packages/queue-proxy/bin/kdp-queue-proxy.js (as deployed: the bundle, --max-semi-space-size=1) in front of a tiny
// app served by this script, N times, interleaved between the checkouts (the order flips every round), and reports:
//   ready     spawn → the "queue-proxy ready" log line;
//   probe ok  spawn → the first 200 "queue" answer to a kubelet health check (K-Network-Probe: queue), i.e. the
//             queue-proxy is up AND its readiness probe of the app (tcpSocket or httpGet) has passed;
//   RSS idle  VmRSS 1.5 s after that (after the deferred loads at 300 ms);
// plus the size of each checkout's dist/bundle. Bounded: N spawns per checkout, 10 s per spawn at most.
//
//   node packages/queue-proxy/scripts/startup-bench.mjs [--n 20] [--probe tcp|http] DIR...
//
// Run it under `flock /tmp/kdp-bench.lock` so it does not overlap other benchmarks on the machine.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
let n = 20;
let probe = 'tcp';
const dirs = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--n') n = Number(args[++i]);
  else if (a === '--probe') probe = String(args[++i]);
  else dirs.push(path.resolve(String(a)));
}
if (dirs.length === 0 || !(n > 0) || (probe !== 'tcp' && probe !== 'http')) {
  process.stderr.write('usage: startup-bench.mjs [--n 20] [--probe tcp|http] DIR...\n');
  process.exit(2);
}

const SPAWN_LIMIT_MS = 10_000;
const IDLE_MS = 1500;

async function freePort() {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  s.close();
  await once(s, 'close');
  return port;
}

const app = http.createServer((_req, res) => res.end('ok'));
app.listen(0, '127.0.0.1');
await once(app, 'listening');
const appPort = app.address().port;
const readinessProbe =
  probe === 'tcp'
    ? { tcpSocket: { port: appPort, host: '127.0.0.1' } }
    : { httpGet: { path: '/', port: appPort, host: '127.0.0.1', scheme: 'HTTP' } };

/** One health check on a fresh connection: the status, or 0 when refused/reset. */
function healthCheck(port) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        agent: false,
        headers: { 'User-Agent': 'kube-probe/1.30', 'K-Network-Probe': 'queue' },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', () => resolve(0));
      },
    );
    req.once('error', () => resolve(0));
    req.end();
  });
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/u.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]);
}

async function sample(dir) {
  const [serving, admin, metrics, userMetrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const bin = path.join(dir, 'packages/queue-proxy/bin/kdp-queue-proxy.js');
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--max-semi-space-size=1', bin], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      CONTAINER_CONCURRENCY: '0',
      QUEUE_SERVING_PORT: String(serving),
      QUEUE_SERVING_TLS_PORT: '8112',
      USER_PORT: String(appPort),
      REVISION_TIMEOUT_SECONDS: '300',
      SERVING_LOGGING_CONFIG: '',
      SERVING_LOGGING_LEVEL: '',
      SERVING_NAMESPACE: 'default',
      SERVING_CONFIGURATION: 'c',
      SERVING_REVISION: 'r',
      SERVING_POD: 'p',
      SERVING_POD_IP: '127.0.0.1',
      SERVING_READINESS_PROBE: JSON.stringify(readinessProbe),
      KDP_ADMIN_PORT: String(admin),
      KDP_METRICS_PORT: String(metrics),
      KDP_USER_METRICS_PORT: String(userMetrics),
      KDP_DRAIN_QUIET_PERIOD_SECONDS: '0',
    },
  });
  let readyMs = Number.NaN;
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (Number.isNaN(readyMs) && out.includes('queue-proxy ready')) readyMs = performance.now() - t0;
  });
  child.stderr.resume();
  let exited = false;
  const exit = once(child, 'exit').then(() => {
    exited = true;
  });
  let probeOkMs = Number.NaN;
  for (;;) {
    if (exited) throw new Error(`${bin} exited before its first 200: ${out}`);
    if (performance.now() - t0 > SPAWN_LIMIT_MS) throw new Error(`${bin}: no 200 within ${String(SPAWN_LIMIT_MS)} ms`);
    const status = await healthCheck(serving);
    if (status === 200) {
      probeOkMs = performance.now() - t0;
      break;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const rss = rssKiB(child.pid);
  child.kill('SIGTERM');
  await exit;
  return { readyMs, probeOkMs, rssMiB: rss / 1024 };
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function bundleBytes(dir) {
  const d = path.join(dir, 'packages/queue-proxy/dist/bundle');
  let total = 0;
  let main = 0;
  for (const f of readdirSync(d)) {
    const size = statSync(path.join(d, f)).size;
    total += size;
    if (f === 'main.js') main = size;
  }
  return { main, total };
}

const results = new Map(dirs.map((d) => [d, []]));
for (let i = 0; i < n; i++) {
  const order = i % 2 === 0 ? dirs : [...dirs].reverse();
  for (const d of order) results.get(d).push(await sample(d));
}
app.close();

const f1 = (x) => x.toFixed(1);
const rows = [];
for (const d of dirs) {
  const xs = results.get(d);
  const b = bundleBytes(d);
  const col = (k) => xs.map((x) => x[k]);
  rows.push({
    dir: d,
    probe,
    n,
    readyMs: { p50: f1(pct(col('readyMs'), 50)), p90: f1(pct(col('readyMs'), 90)) },
    probeOkMs: { p50: f1(pct(col('probeOkMs'), 50)), p90: f1(pct(col('probeOkMs'), 90)) },
    rssIdleMiB: { p50: f1(pct(col('rssMiB'), 50)), p90: f1(pct(col('rssMiB'), 90)) },
    bundleKiB: { main: f1(b.main / 1024), total: f1(b.total / 1024) },
  });
}
process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
