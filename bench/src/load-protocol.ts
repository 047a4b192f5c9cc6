import type { HttpMethod, LatencySummaryUs } from './types.js';

/** What the load generator thread is asked to do. */
export interface LoadJob {
  readonly url: string;
  readonly connections: number;
  /** 0 skips the warm-up. */
  readonly warmupS: number;
  readonly durationS: number;
  readonly method: HttpMethod;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** autocannon's per-request timeout; a timed-out request counts as an error. */
  readonly timeoutS: number;
}

export interface LoadResult {
  /** As measured by the load generator, from its first connection to its stop. */
  readonly durationS: number;
  readonly requests: number;
  readonly reqPerS: number;
  readonly latencyUs: LatencySummaryUs;
  /** hdr-histogram-js `encodeIntoCompressedBase64` of the µs histogram, for re-analysis or merging. */
  readonly latencyHistogram: string;
  /**
   * [percentile, µs] pairs straight from the load generator, when it gives them (wrk: its exact per-µs histogram
   * at `PERCENTILE_GRID`; its `latencyHistogram` is then rebuilt from this curve). Plots prefer it.
   */
  readonly percentileCurveUs?: readonly (readonly [number, number])[];
  readonly non2xx: number;
  /** Connection errors and timeouts (autocannon counts a timeout as an error too). */
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Readonly<Record<string, number>>;
}

export interface WarmupResult {
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
}

/** Worker → runner. */
export type WorkerMessage =
  | { readonly type: 'warmed'; readonly warmup: WarmupResult }
  | { readonly type: 'result'; readonly result: LoadResult }
  | { readonly type: 'failed'; readonly message: string };

/** Runner → worker. */
export type RunnerMessage = { readonly type: 'go' };
