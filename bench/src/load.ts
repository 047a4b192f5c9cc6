import { Worker } from 'node:worker_threads';
import type { LoadJob, LoadResult, RunnerMessage, WarmupResult, WorkerMessage } from './load-protocol.js';

export type { LoadJob, LoadResult, WarmupResult } from './load-protocol.js';

export interface LoadHooks {
  /** Called after the warm-up, right before the measured run starts: take the "before" readings here. */
  beforeMeasure(warmup: WarmupResult): void;
}

/**
 * Runs autocannon in a worker thread of the runner (so on the runner's CPU when pinned). The runner's own thread
 * keeps sampling RSS and managing processes without sharing an event loop with the load generator, and the load
 * generator's timings are not delayed by the sampler's callbacks.
 */
export function runLoad(job: LoadJob, hooks: LoadHooks): Promise<LoadResult> {
  const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: job });
  return new Promise<LoadResult>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, result?: LoadResult): void => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (err !== undefined) reject(err);
      else if (result !== undefined) resolve(result);
    };
    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'warmed': {
          try {
            hooks.beforeMeasure(m.warmup);
          } catch (err) {
            finish(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          const go: RunnerMessage = { type: 'go' };
          worker.postMessage(go);
          return;
        }
        case 'result':
          finish(undefined, m.result);
          return;
        case 'failed':
          finish(new Error(`load generator failed: ${m.message}`));
          return;
        default: {
          const never: never = m;
          finish(new Error(`unknown message from the load generator: ${JSON.stringify(never)}`));
        }
      }
    });
    worker.once('error', (err) => finish(err));
    worker.once('exit', (code) => finish(new Error(`load generator thread exited (code ${String(code)}) before its result`)));
  });
}
