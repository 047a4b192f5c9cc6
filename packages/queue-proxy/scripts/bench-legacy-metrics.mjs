// Run after `npm run build`: node --expose-gc packages/queue-proxy/scripts/bench-legacy-metrics.mjs (pin it with taskset -c 1).
// Per-call cost and heap growth of the legacy recorder vs the OTel DurationHistogram, 5e6 calls each, 5 rounds.
import { createLegacyRequestMetrics } from '../dist/legacy-metrics.js';
import { createQueueMetrics } from '../dist/metrics.js';
const labels = { namespace: 'default', service: 'hello', configuration: 'hello', revision: 'hello-00001', pod: 'p' };
const N = 5_000_000;
const statuses = [200, 200, 200, 404, 503];
function run(name, fn) {
  const res = [];
  for (let round = 0; round < 5; round++) {
    globalThis.gc?.();
    const h0 = process.memoryUsage().heapUsed;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn(i);
    const ns = Number(process.hrtime.bigint() - t0) / N;
    const dh = process.memoryUsage().heapUsed - h0;
    res.push({ ns, dh });
  }
  res.sort((a, b) => a.ns - b.ns);
  const med = res[2];
  console.log(`${name}: median ${med.ns.toFixed(1)} ns/call, heap growth over ${N} calls (median round): ${(med.dh / 1024).toFixed(0)} KiB`);
}
const legacy = createLegacyRequestMetrics(labels);
const otel = createQueueMetrics(labels);
run('otel observe (existing DurationHistogram)', (i) => otel.observe(statuses[i % 5], (i % 300) / 1000));
run('legacy observe (app-level)', (i) => legacy.observe(statuses[i % 5], (i % 300) / 1000));
run('legacy observeRequest DISABLED', (i) => legacy.observeRequest('DISABLED', statuses[i % 5], (i % 300) + 0.37));
const tags = ['blue', 'green', 'DISABLED', 'DEFAULT'];
run('legacy observeRequest 4 tags', (i) => legacy.observeRequest(tags[i & 3], statuses[i % 5], (i % 300) + 0.37));
const t0 = process.hrtime.bigint();
const text = await legacy.metrics();
console.log(`scrape: ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2)} ms, ${text.length} bytes, ${text.split('\n').length} lines`);
