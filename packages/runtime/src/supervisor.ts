import { EventEmitter } from 'node:events';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { RuntimeConfigError } from './errors.js';
import type { RuntimeEventMap } from './events.js';
import type { PodLogSink, RuntimeLogger } from './logger.js';
import { OrphanGuard, type ProcessGroupGuard } from './orphan-guard.js';
import { Pod, type StopOptions } from './pod.js';
import { PortAllocator } from './ports.js';
import { RevisionRunner, type RevisionStatus } from './revision-runner.js';
import { revisionKey, type QueueProxyEnvOptions, type Revision } from './revision-spec.js';

export interface SupervisorOptions {
  /** Program and arguments of the queue-proxy: `[process.execPath, '<repo>/packages/queue-proxy/dist/main.js']`. */
  readonly queueProxyCommand: readonly string[];
  /** Environment every pod process inherits before the Knative variables are added; the platform passes its own. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: RuntimeLogger;
  /** Working directory of user processes whose container has no `workingDir`. Default: this process's cwd. */
  readonly cwd?: string;
  /** Receives pod output lines; default: each line logged at info with revision, pod, container and stream. */
  readonly logSink?: PodLogSink;
  readonly clock?: Clock;
  /** Restart backoff for failed pods; see backoff.ts for the defaults. */
  readonly backoff?: Partial<BackoffPolicy>;
  /** A pod failing sooner than this after its start is a revision failure (`revisionFailed`). Default 2000 ms. */
  readonly startupWindowMs?: number;
  /** After one process of a pod died, how long the other gets to exit before SIGKILL. Default 2000 ms. */
  readonly failureGraceMs?: number;
  /** After this process died, how long pods get between SIGTERM and SIGKILL from the orphan guard. Default 1000 ms. */
  readonly orphanGraceMs?: number;
  /** Loopback address pods listen on. */
  readonly host?: string;
  /** Extra queue-proxy settings (logging, observability, drain quiet period). */
  readonly queueProxyEnv?: Omit<QueueProxyEnvOptions, 'podIP' | 'bindHost'>;
  /** Injected for tests; one is created otherwise. */
  readonly ports?: PortAllocator;
  /** Injected for tests; an OrphanGuard is created otherwise. */
  readonly guard?: ProcessGroupGuard & { close(): Promise<void> };
}

/**
 * The local runtime: runs the pods of every revision as child processes, emits the events the activator and the
 * CLI need (`podStarted`, `podStopping`, `podStopped`, `revisionFailed`), and guarantees no pod process outlives
 * this process (see orphan-guard.ts).
 */
export class Supervisor extends EventEmitter<RuntimeEventMap> {
  readonly #runners = new Map<string, RevisionRunner>();
  readonly #logger: RuntimeLogger;
  readonly #clock: Clock;
  readonly #ports: PortAllocator;
  readonly #guard: ProcessGroupGuard & { close(): Promise<void> };
  readonly #backoff: BackoffPolicy;
  readonly #startupWindowMs: number;
  readonly #makePod: (rev: Revision, name: string) => Promise<Pod>;
  #closing: Promise<void> | undefined;

  constructor(options: SupervisorOptions) {
    super();
    const problems: string[] = [];
    const qp: readonly string[] = options.queueProxyCommand;
    if (qp.length === 0 || qp.some((s) => typeof s !== 'string' || s === '')) {
      problems.push('queueProxyCommand: must be a non-empty list of non-empty strings');
    }
    const backoff: BackoffPolicy = { ...DEFAULT_BACKOFF, ...options.backoff };
    const numbers: [string, number | undefined][] = [
      ['backoff.initialMs', backoff.initialMs],
      ['backoff.maxMs', backoff.maxMs],
      ['backoff.resetAfterMs', backoff.resetAfterMs],
      ['startupWindowMs', options.startupWindowMs],
      ['failureGraceMs', options.failureGraceMs],
      ['orphanGraceMs', options.orphanGraceMs],
    ];
    for (const [name, v] of numbers) {
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) problems.push(`${name}: must be a non-negative number`);
    }
    if (backoff.maxMs < backoff.initialMs) problems.push('backoff.maxMs: must not be below backoff.initialMs');
    if (problems.length > 0) throw new RuntimeConfigError(problems, 'runtime options');

    const [program = '', ...qpArgs] = qp;
    const queueProxyCommand: readonly [string, ...string[]] = [program, ...qpArgs];
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#ports = options.ports ?? new PortAllocator(options.host === undefined ? {} : { host: options.host });
    this.#guard =
      options.guard ??
      new OrphanGuard({
        logger: options.logger,
        ...(options.orphanGraceMs === undefined ? {} : { graceMs: options.orphanGraceMs }),
      });
    this.#backoff = Object.freeze(backoff);
    this.#startupWindowMs = options.startupWindowMs ?? 2000;
    const host = options.host ?? '127.0.0.1';
    const cwd = options.cwd ?? process.cwd();
    const qpEnv: QueueProxyEnvOptions = { ...options.queueProxyEnv, podIP: host, bindHost: host };
    const failureGraceMs = options.failureGraceMs ?? 2000;
    this.#makePod = async (rev, name) => {
      const ports = await this.#ports.allocate();
      const pod = new Pod({
        name,
        revision: rev,
        ports,
        queueProxyCommand,
        baseEnv: options.env,
        cwd,
        guard: this.#guard,
        logger: this.#logger,
        ...(options.logSink === undefined ? {} : { logSink: options.logSink }),
        clock: this.#clock,
        queueProxyEnv: qpEnv,
        failureGraceMs,
        host,
      });
      void pod.done.then(() => {
        this.#ports.release(ports);
      });
      return pod;
    };
  }

  /** Registers a revision (with 0 pods). Idempotent for an identical revision; revisions are immutable. */
  addRevision(rev: Revision): void {
    if (this.#closing !== undefined) throw new Error('supervisor is closed');
    const key = revisionKey(rev);
    const existing = this.#runners.get(key);
    if (existing !== undefined) {
      if (JSON.stringify(existing.revision) === JSON.stringify(rev)) return;
      throw new Error(`revision ${key} already exists with a different spec; revisions are immutable`);
    }
    this.#runners.set(
      key,
      new RevisionRunner({
        revision: rev,
        createPod: (name) => this.#makePod(rev, name),
        events: this,
        logger: this.#logger,
        clock: this.#clock,
        backoff: this.#backoff,
        startupWindowMs: this.#startupWindowMs,
      }),
    );
  }

  /** Converges the revision to `desired` pods. */
  scale(key: string, desired: number): void {
    this.#runner(key).scale(desired);
  }

  /** Drains every pod of the revision, then forgets it. */
  async removeRevision(key: string, options: StopOptions = {}): Promise<void> {
    const runner = this.#runner(key);
    await runner.close(options);
    if (this.#runners.get(key) === runner) this.#runners.delete(key);
  }

  has(key: string): boolean {
    return this.#runners.has(key);
  }

  status(key: string): RevisionStatus {
    return this.#runner(key).status();
  }

  statuses(): RevisionStatus[] {
    return [...this.#runners.values()].map((r) => r.status());
  }

  /**
   * Drains every pod of every revision (each within its revision's timeout, or `graceMs` if given), then ends the
   * orphan guard. Idempotent.
   */
  close(options: StopOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([...this.#runners.values()].map((r) => r.close(options)));
      this.#runners.clear();
      await this.#guard.close();
    })();
    return this.#closing;
  }

  #runner(key: string): RevisionRunner {
    const r = this.#runners.get(key);
    if (r === undefined) throw new Error(`unknown revision ${key}`);
    return r;
  }
}
