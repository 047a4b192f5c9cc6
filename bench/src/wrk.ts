/**
 * wrk (Debian's `wrk`) as the load generator: a C event loop that costs a few µs per request where autocannon costs
 * ~16-50, so the client side saturates its CPU after a fast proxy does rather than before. One thread (`-t1`: it
 * shares one CPU with the app), closed loop like autocannon (wrk without `-R` has one request in flight per
 * connection), latency from the request's write to the end of its response, in µs.
 *
 * A Lua `done()` hook prints the summary and the latency at a fixed grid of percentiles (wrk's own exact per-µs
 * histogram, read with `latency:percentile(p)`) as one JSON line; the percentile curve goes into the result as is,
 * and an approximate hdr histogram is rebuilt from it so that wrk and autocannon results have the same fields.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import type { LoadHooks, LoadJob, LoadResult } from './load.js';
import { describeExit, spawnManaged } from './processes.js';
import type { Placement } from './types.js';

/** Percentiles printed by the Lua hook: HdrHistogram's plot grid (10 points per decade of 1/(1-p)) plus the usual ones. */
export const PERCENTILE_GRID: readonly number[] = (() => {
  const out = new Set<number>([0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 99.999, 100]);
  for (let i = 1; i <= 50; i++) out.add(Math.round((100 - 100 * 10 ** (-i / 10)) * 1e6) / 1e6);
  return [...out].sort((a, b) => a - b);
})();

const MARK = 'KDP-WRK-RESULT ';

function luaScript(): string {
  return `-- written by bench/src/wrk.ts
local pcts = { ${PERCENTILE_GRID.map((p) => p.toFixed(6)).join(', ')} }
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${MARK}{"durationUs":%d,"requests":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"minUs":%d,"maxUs":%d,"meanUs":%.3f,"curve":[',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean))
  for i, p in ipairs(pcts) do
    local v = 0
    if p >= 100 then v = latency.max elseif p <= 0 then v = latency.min else v = latency:percentile(p) end
    io.write(string.format('%s[%.6f,%d]', i > 1 and ',' or '', p, v))
  end
  io.write(']}\\n')
end
`;
}

interface WrkReport {
  readonly durationUs: number;
  readonly requests: number;
  readonly bytes: number;
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly status: number;
  readonly timeout: number;
  readonly minUs: number;
  readonly maxUs: number;
  readonly meanUs: number;
  readonly curve: readonly (readonly [number, number])[];
}

/** The wrk binary's version line, or undefined when it is not installed. */
export function wrkVersion(): string | undefined {
  try {
    // `wrk -v` prints its version and usage and exits 1.
    execFileSync('wrk', ['-v'], { stdio: 'pipe' });
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    return out.split('\n', 1)[0]?.trim() ?? 'wrk';
  }
  return 'wrk';
}

export function requireWrk(): void {
  if (wrkVersion() === undefined) {
    throw new Error('wrk is not installed (the go-reference suite and --loadgen wrk use it): apt-get update && apt-get install -y wrk');
  }
}

export interface WrkEnv {
  readonly placement: Placement;
  /** Where its script and output go. */
  readonly logDir: string;
}

function parseReport(logFile: string): WrkReport {
  const text = readFileSync(logFile, 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(MARK));
  if (line === undefined) throw new Error(`wrk printed no result line:\n${text.trimEnd().split('\n').slice(-10).join('\n')}`);
  return JSON.parse(line.slice(MARK.length)) as WrkReport;
}

async function runOnce(job: LoadJob, durationS: number, env: WrkEnv, script: string, name: string): Promise<WrkReport> {
  const headers = Object.entries(job.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  if (job.method !== 'GET' || job.body !== undefined) throw new Error('the wrk load generator sends GET requests without a body only');
  const proc = spawnManaged(
    {
      role: 'app',
      name,
      command: 'wrk',
      args: ['-t1', `-c${String(job.connections)}`, `-d${String(durationS)}s`, `--timeout`, `${String(job.timeoutS)}s`, '-s', script, ...headers, job.url],
    },
    env.placement,
    env.logDir,
  );
  const exit = await proc.exited;
  if (exit.code !== 0) throw new Error(`wrk ${describeExit(exit)}:\n${proc.logTail()}`);
  return parseReport(proc.logFile);
}

/** An hdr histogram (µs) with each percentile step's share of the requests recorded at that step's latency. */
function histogramFromCurve(curve: readonly (readonly [number, number])[], requests: number): string {
  const hist = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
  let recorded = 0;
  for (const [p, us] of curve) {
    const upTo = Math.round((p / 100) * requests);
    const n = upTo - recorded;
    if (n > 0) hist.recordValueWithCount(Math.max(1, us), n);
    recorded += Math.max(0, n);
  }
  const encoded = hdr.encodeIntoCompressedBase64(hist);
  hist.destroy();
  return encoded;
}

function at(curve: readonly (readonly [number, number])[], p: number): number {
  return curve.find(([q]) => Math.abs(q - p) < 1e-9)?.[1] ?? NaN;
}

/** Warm-up run (discarded), `hooks.beforeMeasure`, measured run: the same contract as `runLoad`. */
export async function runWrk(job: LoadJob, hooks: LoadHooks, env: WrkEnv): Promise<LoadResult> {
  const script = join(env.logDir, 'wrk-report.lua');
  writeFileSync(script, luaScript());
  let warm = { requests: 0, errors: 0, non2xx: 0 };
  if (job.warmupS > 0) {
    const w = await runOnce(job, job.warmupS, env, script, 'wrk-warmup');
    warm = { requests: w.requests, errors: w.connect + w.read + w.write + w.timeout, non2xx: w.status };
  }
  hooks.beforeMeasure(warm);
  const r = await runOnce(job, job.durationS, env, script, 'wrk');
  const durationS = r.durationUs / 1e6;
  return {
    durationS,
    requests: r.requests,
    reqPerS: durationS > 0 ? r.requests / durationS : 0,
    latencyUs: {
      p50: at(r.curve, 50),
      p90: at(r.curve, 90),
      p99: at(r.curve, 99),
      p999: at(r.curve, 99.9),
      max: r.maxUs,
      mean: Math.round(r.meanUs * 10) / 10,
    },
    latencyHistogram: histogramFromCurve(r.curve, r.requests),
    percentileCurveUs: r.curve,
    // wrk counts a status ≥ 400 as a "status error"; it does not tell 2xx from 3xx.
    non2xx: r.status,
    errors: r.connect + r.read + r.write + r.timeout,
    timeouts: r.timeout,
    statusCodes: {},
  };
}
