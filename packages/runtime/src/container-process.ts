import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Clock } from './clock.js';
import { DEFAULT_MAX_LINE_CHARS, LineRing, pipeLines } from './log-lines.js';
import type { ContainerName } from './logger.js';
import type { ProcessGroupGuard } from './orphan-guard.js';

/** How a container process ended. */
export type ContainerEnd =
  | {
      readonly kind: 'spawn-error';
      /** `ENOENT`, `EACCES`, ... */
      readonly errno: string;
      readonly message: string;
    }
  | {
      readonly kind: 'exit';
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
      /** From spawn to exit. */
      readonly uptimeMs: number;
    };

export interface ContainerProcessOptions {
  readonly container: ContainerName;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly guard: ProcessGroupGuard;
  readonly clock: Clock;
  readonly onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Last output lines kept for failure reports (Kubernetes' FallbackToLogsOnError termination message). */
  readonly tailLines?: number;
  readonly maxLineChars?: number;
}

/**
 * One process of a pod, the local stand-in for a container: spawned as the leader of its own process group
 * (registered with the orphan guard at once), stdout/stderr split into lines, exit reported once.
 *
 * When the leader exits, whatever is left of its group is SIGKILLed, as a container runtime kills every process of a
 * container whose main process ended; the group is then unregistered from the guard.
 */
export class ContainerProcess {
  readonly container: ContainerName;
  readonly command: string;
  readonly pid: number | undefined;
  /** True once the process is running, false if it could not be started. */
  readonly spawned: Promise<boolean>;
  readonly ended: Promise<ContainerEnd>;
  /** Both output pipes closed (they can outlive the process when it leaves children behind, so callers bound it). */
  readonly outputClosed: Promise<void>;
  readonly #guard: ProcessGroupGuard;
  readonly #tail: LineRing;
  #pgid: number | undefined;
  #end: ContainerEnd | undefined;

  constructor(o: ContainerProcessOptions) {
    this.container = o.container;
    this.command = o.command;
    this.#guard = o.guard;
    this.#tail = new LineRing(o.tailLines ?? 20);
    let resolveSpawned: (ok: boolean) => void = () => {};
    let resolveEnded: (end: ContainerEnd) => void = () => {};
    let resolveClosed: () => void = () => {};
    this.spawned = new Promise((r) => (resolveSpawned = r));
    this.ended = new Promise((r) => (resolveEnded = r));
    this.outputClosed = new Promise((r) => (resolveClosed = r));
    const finish = (end: ContainerEnd): void => {
      if (this.#end !== undefined) return;
      this.#end = end;
      resolveSpawned(end.kind === 'exit');
      resolveEnded(end);
    };

    let child: ChildProcess;
    try {
      child = spawn(o.command, o.args, {
        cwd: o.cwd,
        env: o.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      // Invalid arguments (a NUL byte in an argument, ...) throw instead of emitting 'error'.
      finish(spawnError(err, o));
      resolveClosed();
      this.pid = undefined;
      return;
    }
    this.pid = child.pid;
    if (child.pid !== undefined) {
      // Registered in the same tick as the fork: there is no await between them for a crash to slip into.
      this.#pgid = child.pid;
      try {
        this.#guard.watch(child.pid);
      } catch (err) {
        // An unguarded process could outlive us: it does not get to run.
        this.#pgid = undefined;
        process.kill(-child.pid, 'SIGKILL');
        finish(spawnError(err, o));
      }
    }
    const spawnedAt = o.clock.now();
    const maxLine = o.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = child[stream];
      if (s === null) continue;
      pipeLines(s, maxLine, (line) => {
        this.#tail.push(line);
        o.onLine(stream, line);
      });
    }
    child.once('spawn', () => {
      resolveSpawned(true);
    });
    child.once('error', (err) => {
      // After a successful spawn 'error' only reports a failed kill(), which signal() does not use.
      if (this.pid === undefined) finish(spawnError(err, o));
    });
    child.once('exit', (code, signal) => {
      this.#reapGroup();
      finish({ kind: 'exit', code, signal, uptimeMs: Math.round(o.clock.now() - spawnedAt) });
    });
    child.once('close', () => {
      resolveClosed();
    });
  }

  /** How it ended, once it has. */
  get end(): ContainerEnd | undefined {
    return this.#end;
  }

  /** The last output lines, oldest first. */
  get tail(): readonly string[] {
    return this.#tail.toArray();
  }

  /** Signals the whole process group; false if there is none (never started, or already gone). */
  signal(sig: NodeJS.Signals): boolean {
    if (this.#pgid === undefined) return false;
    try {
      process.kill(-this.#pgid, sig);
      return true;
    } catch {
      // ESRCH: the group emptied between its leader's exit and our reaping it.
      return false;
    }
  }

  #reapGroup(): void {
    if (this.#pgid === undefined) return;
    // Done synchronously in the exit handler: this process cannot fork a new pod (which could reuse the pid as a
    // group id) between the leader being reaped and its leftovers being killed.
    this.signal('SIGKILL');
    this.#guard.unwatch(this.#pgid);
    this.#pgid = undefined;
  }
}

function spawnError(err: unknown, o: ContainerProcessOptions): ContainerEnd {
  const errno = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'UNKNOWN';
  const raw = err instanceof Error ? err.message : String(err);
  let message: string;
  if (errno === 'ENOENT' && !existsSync(o.cwd)) {
    message = `working directory ${JSON.stringify(o.cwd)} does not exist (${raw})`;
  } else if (errno === 'ENOENT') {
    message = `command ${JSON.stringify(o.command)} not found (${raw})`;
  } else if (errno === 'EACCES') {
    message = `command ${JSON.stringify(o.command)} is not executable (${raw})`;
  } else {
    message = raw;
  }
  return { kind: 'spawn-error', errno, message };
}
