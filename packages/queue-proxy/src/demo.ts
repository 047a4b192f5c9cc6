/**
 * `npm start` until the platform lands: the sample app behind a real kdp-queue-proxy, both as child processes,
 * wired exactly as a Knative pod would be. Prints the URL to curl; Ctrl-C drains and stops both.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const sampleApp = path.join(path.dirname(require.resolve('@kdp/sample-app')), 'main.js');
const queueProxy = path.join(here, 'main.js');

const port = process.env.PORT ?? '8012';
const userPort = process.env.USER_PORT ?? '8080';

const app = spawn(process.execPath, [sampleApp], {
  env: { ...process.env, PORT: userPort, K_SERVICE: 'hello', K_CONFIGURATION: 'hello', K_REVISION: 'hello-00001' },
  stdio: 'inherit',
});
const qp = spawn(process.execPath, [queueProxy], {
  env: {
    ...process.env,
    CONTAINER_CONCURRENCY: process.env.CONTAINER_CONCURRENCY ?? '0',
    QUEUE_SERVING_PORT: port,
    QUEUE_SERVING_TLS_PORT: '8112',
    USER_PORT: userPort,
    REVISION_TIMEOUT_SECONDS: '300',
    SERVING_LOGGING_CONFIG: '',
    SERVING_LOGGING_LEVEL: 'info',
    SERVING_NAMESPACE: 'default',
    SERVING_SERVICE: 'hello',
    SERVING_CONFIGURATION: 'hello',
    SERVING_REVISION: 'hello-00001',
    SERVING_POD: 'hello-00001-deployment-local',
    SERVING_POD_IP: '127.0.0.1',
    SERVING_READINESS_PROBE: JSON.stringify({ tcpSocket: { port: Number(userPort), host: '127.0.0.1' } }),
    KDP_DRAIN_QUIET_PERIOD_SECONDS: process.env.KDP_DRAIN_QUIET_PERIOD_SECONDS ?? '1',
  },
  stdio: 'inherit',
});

process.stdout.write(
  `\nkdp queue-proxy demo: sample app on :${userPort}, queue-proxy on :${port}\n` +
    `  curl http://127.0.0.1:${port}/\n` +
    `  curl -H 'User-Agent: kube-probe/1.31' -H 'K-Network-Probe: queue' http://127.0.0.1:${port}/\n` +
    `  curl http://127.0.0.1:9091/metrics\n\n`,
);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  qp.kill('SIGTERM');
  qp.once('exit', () => app.kill('SIGTERM'));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
qp.on('exit', (code) => {
  if (!stopping) {
    process.stderr.write(`queue-proxy exited with ${String(code)}\n`);
    app.kill('SIGTERM');
    process.exitCode = code ?? 1;
  }
});
app.on('exit', () => {
  if (!stopping) qp.kill('SIGTERM');
});
