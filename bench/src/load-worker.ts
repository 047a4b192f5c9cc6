/**
 * The load generator's thread: autocannon, plus our own µs-resolution latency histogram.
 *
 * Why our own histogram: autocannon records each response time (a float of ms from process.hrtime) into an integer
 * histogram whose unit is the millisecond, so p50 of a 0.1 ms exchange reads "0" or "1". Its tracker emits
 * `response` with that same float for every response; we record it in microseconds into an hdr histogram
 * (3 significant digits). The time is autocannon's: from just before the request bytes are written to the socket
 * to the end of the parsed response (autocannon's JS HTTP parser included), on a closed loop (no coordinated
 * omission correction, like wrk without -R).
 */
import { inspect } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import type { LoadJob, LoadResult, RunnerMessage, WarmupResult, WorkerMessage } from './load-protocol.js';

/** The fields of autocannon's raw (non-aggregated, as in a worker thread) result that we use. */
interface RawResult {
  readonly totalCompletedRequests: number;
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statusCodeStats: Readonly<Record<string, { readonly count: number }>>;
}

function isRawResult(v: unknown): v is RawResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r['totalCompletedRequests'] === 'number' &&
    typeof r['duration'] === 'number' &&
    typeof r['errors'] === 'number' &&
    typeof r['timeouts'] === 'number' &&
    typeof r['non2xx'] === 'number' &&
    typeof r['statusCodeStats'] === 'object'
  );
}

function post(msg: WorkerMessage): void {
  parentPort?.postMessage(msg);
}

function fire(job: LoadJob, durationS: number, onResponseMs?: (ms: number) => void): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const opts: autocannon.Options = {
      url: job.url,
      connections: job.connections,
      duration: durationS,
      method: job.method,
      timeout: job.timeoutS,
    };
    if (job.headers !== undefined) opts.headers = { ...job.headers };
    if (job.body !== undefined) opts.body = job.body;
    const instance = autocannon(opts, (err: unknown, result: unknown) => {
      if (err !== null && err !== undefined) reject(err instanceof Error ? err : new Error(inspect(err)));
      else if (!isRawResult(result)) reject(new Error('autocannon returned an unexpected result shape'));
      else resolve(result);
    });
    if (onResponseMs !== undefined) {
      instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
        onResponseMs(responseTimeMs);
      });
    }
  });
}

async function main(job: LoadJob): Promise<void> {
  let warmup: WarmupResult = { requests: 0, errors: 0, non2xx: 0 };
  if (job.warmupS > 0) {
    const w = await fire(job, job.warmupS);
    warmup = { requests: w.totalCompletedRequests, errors: w.errors, non2xx: w.non2xx };
  }
  const go = new Promise<void>((resolve) => {
    parentPort?.once('message', (m: RunnerMessage) => {
      if (m.type === 'go') resolve();
    });
  });
  post({ type: 'warmed', warmup });
  await go;

  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
  const raw = await fire(job, job.durationS, (ms) => {
    const us = Math.round(ms * 1000);
    hist.recordValue(us < 1 ? 1 : us);
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(raw.statusCodeStats)) statusCodes[code] = s.count;
  const result: LoadResult = {
    durationS: raw.duration,
    requests: raw.totalCompletedRequests,
    reqPerS: raw.duration > 0 ? raw.totalCompletedRequests / raw.duration : 0,
    latencyUs: {
      p50: hist.getValueAtPercentile(50),
      p90: hist.getValueAtPercentile(90),
      p99: hist.getValueAtPercentile(99),
      p999: hist.getValueAtPercentile(99.9),
      max: hist.maxValue,
      mean: Math.round(hist.mean * 10) / 10,
    },
    latencyHistogram: hdr.encodeIntoCompressedBase64(hist),
    non2xx: raw.non2xx,
    errors: raw.errors,
    timeouts: raw.timeouts,
    statusCodes,
  };
  post({ type: 'result', result });
}

main(workerData as LoadJob).catch((err: unknown) => {
  post({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
});
