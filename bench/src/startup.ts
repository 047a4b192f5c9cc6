import { request } from 'node:http';
import { describeExit } from './processes.js';
import type { ManagedProcess } from './types.js';

const DEFAULT_TIMEOUT_MS = 15_000;
const PROBE_TIMEOUT_MS = 2000;

/** One GET on a fresh connection: the status code, or undefined if there was no answer (refused, reset...). */
export function probeOnce(
  url: string,
  timeoutMs = PROBE_TIMEOUT_MS,
  headers: Readonly<Record<string, string>> = {},
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs, headers: { ...headers } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode));
      res.once('error', () => resolve(undefined));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
    req.end();
  });
}

/**
 * Polls `url` until it answers 2xx and returns the milliseconds since `proc` was spawned. By default a tight loop (a
 * refused connect on loopback takes well under a millisecond), so the figure's resolution is that of one attempt.
 * The loop itself costs a CPU: give `pollGapMs` when the process boots on the poller's CPU.
 */
export interface WaitOptions {
  /** Default 15 s. */
  readonly timeoutMs?: number;
  /** Pause between attempts; 0 (default) is a tight loop. */
  readonly pollGapMs?: number;
  /** Sent with every attempt (e.g. the Host a router routes by). */
  readonly headers?: Readonly<Record<string, string>>;
}

export async function waitForFirstResponse(url: string, proc: ManagedProcess, opts: WaitOptions = {}): Promise<number> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const gapMs = opts.pollGapMs ?? 0;
  const deadline = performance.now() + timeoutMs;
  let lastStatus: number | undefined;
  for (;;) {
    const exit = proc.exitInfo();
    if (exit !== undefined) {
      throw new Error(`${proc.name} (pid ${String(proc.pid)}) ${describeExit(exit)} before answering ${url}:\n${proc.logTail()}`);
    }
    lastStatus = await probeOnce(url, PROBE_TIMEOUT_MS, opts.headers);
    if (lastStatus !== undefined && lastStatus >= 200 && lastStatus < 300) {
      return Number(process.hrtime.bigint() - proc.spawnedAtNs) / 1e6;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `${proc.name} (pid ${String(proc.pid)}) gave no 2xx on ${url} within ${String(timeoutMs)} ms ` +
          `(last: ${lastStatus === undefined ? 'no answer' : String(lastStatus)}):\n${proc.logTail()}`,
      );
    }
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
}

/** Spawns with `spawn()` and times it to its first 2xx on `url` (ms); the process is left running. */
export async function measureStartup(
  spawn: () => ManagedProcess,
  url: string,
  opts: WaitOptions = {},
): Promise<{ ms: number; process: ManagedProcess }> {
  const proc = spawn();
  try {
    return { ms: await waitForFirstResponse(url, proc, opts), process: proc };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}
