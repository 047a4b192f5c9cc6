/*
 * Test helpers: a list that tests can wait on (an event or a log line arriving), and a logger that records.
 * Waiting is driven by pushes, never by sleeping; every wait has a deadline.
 */
import { readFileSync } from 'node:fs';
import type { Supervisor } from '../supervisor.js';
import type { PodStartedEvent, PodStoppedEvent, PodStoppingEvent, RevisionFailedEvent } from '../events.js';
import type { RuntimeLogger } from '../logger.js';

export class Recorder<T> {
  readonly items: T[] = [];
  readonly #waiters = new Set<() => void>();

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.#waiters]) w();
  }

  /** Resolves with the items once `pred(items)` holds; rejects after `timeoutMs` naming `what`. */
  until(pred: (items: readonly T[]) => boolean, what: string, timeoutMs = 10_000): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred(this.items)) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(this.items);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; have ${JSON.stringify(this.items)}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}

export type RecordedEvent = { readonly at: number } & (
  | { readonly type: 'podStarted'; readonly e: PodStartedEvent }
  | { readonly type: 'podStopping'; readonly e: PodStoppingEvent }
  | { readonly type: 'podStopped'; readonly e: PodStoppedEvent }
  | { readonly type: 'revisionFailed'; readonly e: RevisionFailedEvent }
);

export function recordEvents(sup: Supervisor): Recorder<RecordedEvent> {
  const r = new Recorder<RecordedEvent>();
  sup.on('podStarted', (e) => {
    r.push({ type: 'podStarted', e, at: performance.now() });
  });
  sup.on('podStopping', (e) => {
    r.push({ type: 'podStopping', e, at: performance.now() });
  });
  sup.on('podStopped', (e) => {
    r.push({ type: 'podStopped', e, at: performance.now() });
  });
  sup.on('revisionFailed', (e) => {
    r.push({ type: 'revisionFailed', e, at: performance.now() });
  });
  return r;
}

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string;
  readonly at: number;
}

export function recordingLogger(): { logger: RuntimeLogger; entries: Recorder<LogEntry> } {
  const entries = new Recorder<LogEntry>();
  const at = (level: LogEntry['level']) => (obj: object, msg: string) => {
    entries.push({ level, obj, msg, at: performance.now() });
  };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

/** Whether a pid is gone or a zombie (a zombie has exited; only its parent's wait() is missing). */
export function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  return procState(pid) === 'Z';
}

function procState(pid: number): string | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces or parentheses, so split at the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/**
 * Resolves once every pid is dead (or a zombie). Processes that are not our children give no event when they die,
 * so this polls /proc every 20 ms, up to `timeoutMs`.
 */
export async function waitForDeath(pids: readonly number[], timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    const alive = pids.filter((p) => !isDead(p));
    if (alive.length === 0) return performance.now() - start;
    if (performance.now() - start > timeoutMs) {
      throw new Error(`processes still alive after ${timeoutMs} ms: ${alive.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
