import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import type { RuntimeLogger } from './logger.js';

/** What a pod needs from the orphan protection: announce a process group, and retract it once it is gone. */
export interface ProcessGroupGuard {
  watch(pgid: number): void;
  unwatch(pgid: number): void;
}

export interface OrphanGuardOptions {
  readonly logger: RuntimeLogger;
  /** When the control plane is gone: SIGTERM every group, then SIGKILL those still alive after this long. */
  readonly graceMs?: number;
  /** POSIX shell that runs the guard. */
  readonly shell?: string;
}

/*
 * The guard: one tiny shell per control plane (not per pod). Node has no PR_SET_PDEATHSIG, so instead:
 *  - every pod process is spawned `detached`, i.e. as the leader of its own process group, so a whole group (the
 *    app and anything it forks) can be signalled at once and terminal/job-control signals do not reach it;
 *  - this shell reads "+<pgid>" / "-<pgid>" lines on stdin, a pipe whose only writer is the control plane;
 *  - when the control plane dies for any reason (exit, crash, SIGKILL, OOM kill) the kernel closes that pipe,
 *    `read` sees EOF, and the shell sends SIGTERM to every group still registered, then SIGKILL after the grace.
 * The shell ignores HUP/INT/TERM/QUIT and runs in its own process group, so a Ctrl-C or a kill of the control
 * plane's group cannot take it down before it has done its job. It costs one `sh` (~1 MB RSS) in total, and a
 * pipe write of a few bytes per process start and exit.
 */
const GUARD_SCRIPT = `trap '' HUP INT TERM QUIT PIPE
g=' '
while IFS= read -r l; do
  case $l in
    +*) g="$g\${l#+} " ;;
    -*) p=\${l#-}; case $g in *" $p "*) g="\${g%% $p *} \${g#* $p }" ;; esac ;;
  esac
done
[ "$g" = ' ' ] && exit 0
for p in $g; do kill -TERM -"$p" 2>/dev/null; done
n=0
while [ "$n" -lt "$1" ]; do
  alive=
  for p in $g; do kill -0 -"$p" 2>/dev/null && alive=1 && break; done
  [ -z "$alive" ] && exit 0
  sleep 0.1
  n=$((n + 1))
done
for p in $g; do kill -KILL -"$p" 2>/dev/null; done
exit 0
`;

const RESPAWN_MIN_INTERVAL_MS = 1000;

/**
 * Kills every watched process group when this process goes away, however it goes away. See the comment on
 * GUARD_SCRIPT for the design. `close()` ends the guard; groups still watched at that point are killed too.
 */
export class OrphanGuard implements ProcessGroupGuard {
  readonly #logger: RuntimeLogger;
  readonly #graceTenths: number;
  readonly #shell: string;
  readonly #groups = new Set<number>();
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #lastSpawnAt = -Infinity;
  #respawnTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #broken = false;

  constructor(options: OrphanGuardOptions) {
    const graceMs = options.graceMs ?? 1000;
    if (!Number.isFinite(graceMs) || graceMs < 0) {
      throw new RangeError(`OrphanGuard graceMs must be a non-negative number, got ${String(options.graceMs)}`);
    }
    this.#logger = options.logger;
    this.#graceTenths = Math.ceil(graceMs / 100);
    this.#shell = options.shell ?? '/bin/sh';
  }

  /** Pid of the guard shell, if one is running. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Process groups currently watched. */
  get watched(): ReadonlySet<number> {
    return this.#groups;
  }

  watch(pgid: number): void {
    // pgid 0 and 1 would mean "my own group" and "init" to kill(2); neither can be a pod.
    if (!Number.isInteger(pgid) || pgid <= 1) throw new RangeError(`not a process group id: ${String(pgid)}`);
    if (this.#closed) throw new Error('OrphanGuard is closed');
    this.#groups.add(pgid);
    if (this.#child === undefined) this.#start();
    else this.#send(`+${pgid}\n`);
  }

  unwatch(pgid: number): void {
    if (this.#groups.delete(pgid)) this.#send(`-${pgid}\n`);
  }

  /** Ends the guard; resolves when the shell has exited (after killing any group still watched). */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#respawnTimer !== undefined) clearTimeout(this.#respawnTimer);
    // The guard was unref'd so it never holds this process open; a caller awaiting close() must see it finish.
    this.#child?.ref();
    this.#child?.stdin?.end();
    return this.#exited;
  }

  #start(): void {
    if (this.#broken || this.#closed) return;
    const wait = this.#lastSpawnAt + RESPAWN_MIN_INTERVAL_MS - performance.now();
    if (wait > 0) {
      // A guard that keeps dying must not turn into a fork loop.
      this.#respawnTimer ??= setTimeout(() => {
        this.#respawnTimer = undefined;
        if (this.#child === undefined && this.#groups.size > 0) this.#start();
      }, wait).unref();
      return;
    }
    this.#lastSpawnAt = performance.now();
    const child = spawn(this.#shell, ['-c', GUARD_SCRIPT, 'kdp-orphan-guard', String(this.#graceTenths)], {
      detached: true,
      // stdout/stderr must not be inherited: a parent reading our output would otherwise wait on the guard.
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.#child = child;
    let exited: () => void = () => {};
    this.#exited = new Promise((resolve) => {
      exited = resolve;
    });
    child.once('close', () => {
      exited();
    });
    child.once('error', (err) => {
      exited();
      // Only a failed spawn lands here (no shell); there is nothing to retry with.
      this.#broken = true;
      this.#child = undefined;
      this.#logger.error({ err, shell: this.#shell }, 'orphan guard unavailable: pods will outlive a crash');
    });
    child.once('exit', (code, signal) => {
      if (this.#child === child) this.#child = undefined;
      if (this.#closed || this.#broken) return;
      this.#logger.error({ code, signal, groups: this.#groups.size }, 'orphan guard exited; restarting it');
      if (this.#groups.size > 0) this.#start();
    });
    // Write errors (EPIPE) mean the guard died; its 'exit' handler restarts it.
    child.stdin?.on('error', () => {});
    // The guard must not keep the control plane alive; when the control plane exits, the pipe closing is the signal.
    child.unref();
    if (child.stdin instanceof Socket) child.stdin.unref();
    if (this.#groups.size > 0) this.#send([...this.#groups].map((g) => `+${g}\n`).join(''));
  }

  #send(line: string): void {
    // libuv writes to an idle pipe synchronously, so the registration is in the kernel before this returns.
    this.#child?.stdin?.write(line);
  }
}
