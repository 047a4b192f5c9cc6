/**
 * Memory of the cluster-mode activator (issue 8), beside what Knative's activator Deployment asks for (requests
 * 300m / 60Mi, limits 1000m / 600Mi): RSS idle (informers synced, autoscaler connected, one revision known), then
 * with N requests buffered for a revision with no ready endpoint (N open client connections), then after the
 * endpoint turns ready and every buffered request is answered. Prints one JSON line; no pinning, no load generator
 * beyond the buffered requests, so it runs on a busy machine too (memory is what it measures, not speed).
 *
 *   npm run build && node bench/dist/activator-k8s-memory.js [N=10000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeAutoscaler } from '@kdp/activator/testing';
import { FakeKubeApi, kubeconfigFor } from '@kdp/kube/testing';
import { startSampleApp } from '@kdp/sample-app';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const N = Number(process.argv[2] ?? '10000');

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

function once(port: number, headers: http.OutgoingHttpHeaders, agent: http.Agent | false): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function main(): Promise<void> {
  const api = new FakeKubeApi({ token: 't' });
  await api.listen();
  api.forbid('/apis/discovery.k8s.io/v1/endpointslices');
  const scaler = await FakeAutoscaler.start();
  const dir = mkdtempSync(join(tmpdir(), 'kdp-act-mem-'));
  writeFileSync(join(dir, 'kubeconfig'), kubeconfigFor(api.url, 't'));
  api.apply('/apis/serving.knative.dev/v1/revisions', { metadata: { name: 'r', namespace: 'default' }, spec: { containerConcurrency: 0, timeoutSeconds: 300 } });
  const app = await startSampleApp({ port: 0, host: '127.0.0.1', target: 'mem', closeGraceMs: 100 });
  const [qpPort, qpAdmin, qpMetrics, qpUserMetrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const qp = spawn(process.execPath, [join(ROOT, 'packages/queue-proxy/bin/kdp-queue-proxy.js')], {
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH, CONTAINER_CONCURRENCY: '0', QUEUE_SERVING_PORT: String(qpPort), QUEUE_SERVING_TLS_PORT: '8112',
      USER_PORT: String(app.port), REVISION_TIMEOUT_SECONDS: '300', SERVING_LOGGING_CONFIG: '', SERVING_LOGGING_LEVEL: '',
      SERVING_NAMESPACE: 'default', SERVING_SERVICE: 'r', SERVING_CONFIGURATION: 'r', SERVING_REVISION: 'r', SERVING_POD: 'r-pod',
      SERVING_POD_IP: '127.0.0.1', KDP_BIND_HOST: '127.0.0.1', KDP_ADMIN_PORT: String(qpAdmin), KDP_METRICS_PORT: String(qpMetrics), KDP_USER_METRICS_PORT: String(qpUserMetrics),
    },
  });
  const port = await freePort();
  const metricsPort = await freePort();
  const act = spawn(process.execPath, [join(ROOT, 'packages/activator/dist/main.js')], {
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH, POD_NAME: 'activator-mem', POD_IP: '10.0.0.1', SYSTEM_NAMESPACE: 'knative-serving',
      KUBECONFIG: join(dir, 'kubeconfig'), KDP_AUTOSCALER_URL: scaler.url, KDP_ACTIVATOR_PORT: String(port),
      KDP_ACTIVATOR_H2C_PORT: '0', KDP_ACTIVATOR_METRICS_PORT: String(metricsPort), KDP_ACTIVATOR_BIND_HOST: '127.0.0.1',
      KDP_ACTIVATOR_LOG_LEVEL: 'warn', KDP_ACTIVATOR_DRAIN_MS: '0', KDP_ACTIVATOR_SHUTDOWN_GRACE_MS: '5000', KDP_ACTIVATOR_MAX_BUFFERED: String(Math.max(N, 10_000)),
    },
  });
  const pid = act.pid ?? 0;
  const headers = { 'Knative-Serving-Namespace': 'default', 'Knative-Serving-Revision': 'r' };
  try {
    // Ready = kubelet probe 200 (autoscaler connected, informers synced).
    for (let i = 0; (await once(port, { 'User-Agent': 'kube-probe/1.31' }, false)) !== 200; i++) {
      if (i > 600) throw new Error('activator never became Ready (kubelet probe not 200 within 30 s)');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const idle = rssMb(pid);
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    const started = performance.now();
    const answers = Array.from({ length: N }, () => once(port, headers, agent));
    // Until the activator holds them all: its kn_revision_request_queued gauge reads N.
    const want = `kn_revision_request_queued{k8s_namespace_name="default",kn_revision_name="r"} ${String(N)}`;
    for (let i = 0; !(await metrics(metricsPort)).includes(want); i++) {
      if (i > 1200) throw new Error(`never saw ${want} within 60 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const buffered = rssMb(pid);
    api.apply('/api/v1/endpoints', {
      metadata: { name: 'r-private', namespace: 'default', labels: { 'networking.internal.knative.dev/serviceType': 'Private', 'serving.knative.dev/revision': 'r' } },
      subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'http', port: qpPort }] }],
    });
    const readyAt = performance.now();
    const statuses = await Promise.all(answers);
    const doneAt = performance.now();
    const after = rssMb(pid);
    agent.destroy();
    const errors = statuses.filter((s) => s !== 200).length;
    process.stdout.write(
      `${JSON.stringify({
        requests: N,
        errors,
        rssIdleMb: round(idle),
        rssBufferedMb: round(buffered),
        bytesPerBufferedRequest: Math.round(((buffered - idle) * 1024 * 1024) / N),
        rssAfterMb: round(after),
        lastAnswerAfterReadyMs: Math.round(doneAt - readyAt),
        bufferedForMs: Math.round(readyAt - started),
        knative: { requests: '300m / 60Mi', limits: '1000m / 600Mi' },
      })}\n`,
    );
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  } finally {
    act.kill('SIGTERM');
    qp.kill('SIGTERM');
    await app.close();
    await Promise.all([api.close(), scaler.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function metrics(port: number): Promise<string> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', () => resolve(''));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = http.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
