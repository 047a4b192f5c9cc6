import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface TimedResponse {
  readonly status: number;
  /** From just before the request is created (fresh connection included) to the parsed response head. */
  readonly ttfbMs: number;
  /** To the end of the body. */
  readonly totalMs: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** One GET on a fresh connection, timed: time to the response head (first byte) and to the end. */
export function timedGet(url: string, headers: Readonly<Record<string, string>> = {}, timeoutMs = 60_000): Promise<TimedResponse> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { agent: false, headers: { ...headers }, timeout: timeoutMs }, (res) => {
      const ttfbMs = performance.now() - t0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ttfbMs, totalMs: performance.now() - t0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${String(timeoutMs)} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Prometheus text: `<metric>_sum` / `_count` of the activator's cold-start histograms for one revision. */
export interface ColdStartMetrics {
  /** Seconds, one observation each for a revision that had exactly one cold start. */
  readonly podStartS: number;
  readonly appReadyS: number;
  readonly firstByteS: number;
  readonly totalS: number;
  /** Observations of the total histogram: 1 for a single cold start. */
  readonly count: number;
}

function seriesValue(text: string, metric: string, revision: string, extra?: string): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const labels = line.slice(metric.length, line.lastIndexOf('}') + 1);
    if (!labels.includes(`kn_revision_name="${revision}"`)) continue;
    if (extra !== undefined && !labels.includes(extra)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export function coldStartMetrics(text: string, revision: string): ColdStartMetrics | undefined {
  const phase = (p: string): number | undefined => seriesValue(text, 'kdp_activator_cold_start_phase_seconds_sum', revision, `phase="${p}"`);
  const podStartS = phase('pod_start');
  const appReadyS = phase('app_ready');
  const firstByteS = phase('first_byte');
  const totalS = seriesValue(text, 'kdp_activator_cold_start_seconds_sum', revision);
  const count = seriesValue(text, 'kdp_activator_cold_start_seconds_count', revision);
  if (podStartS === undefined || appReadyS === undefined || firstByteS === undefined || totalS === undefined || count === undefined) {
    return undefined;
  }
  return { podStartS, appReadyS, firstByteS, totalS, count };
}

/** `kn_revision_request_queued` of one revision (requests buffered in the activator right now). */
export function queuedRequests(text: string, revision: string): number | undefined {
  return seriesValue(text, 'kn_revision_request_queued', revision);
}
