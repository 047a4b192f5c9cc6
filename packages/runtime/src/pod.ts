import { EventEmitter } from 'node:events';
import type { Clock } from './clock.js';
import { ContainerProcess, type ContainerEnd } from './container-process.js';
import type { ContainerName, PodLogSink, RuntimeLogger } from './logger.js';
import type { ProcessGroupGuard } from './orphan-guard.js';
import {
  queueProxyEnv,
  revisionKey,
  userEnv,
  type PodPorts,
  type QueueProxyEnvOptions,
  type Revision,
} from './revision-spec.js';

/** Why a container took its pod down. */
export interface PodFailure {
  readonly container: ContainerName;
  readonly end: ContainerEnd;
  /** One line for people: `user-container exited with code 3 after 41 ms`. */
  readonly message: string;
}

/** Why a pod is draining: asked to stop (scale-down, shutdown), or one of its containers failed. */
export type DrainCause = { readonly kind: 'stop' } | { readonly kind: 'failure'; readonly failure: PodFailure };

export interface PodEnds {
  readonly user?: ContainerEnd;
  readonly queueProxy?: ContainerEnd;
}

export type PodState =
  | { readonly phase: 'starting'; readonly since: number }
  | { readonly phase: 'running'; readonly since: number; readonly address: string }
  | { readonly phase: 'draining'; readonly since: number; readonly cause: DrainCause }
  | { readonly phase: 'stopped'; readonly since: number; readonly ends: PodEnds }
  | {
      readonly phase: 'failed';
      readonly since: number;
      readonly failure: PodFailure;
      /** When the failure was seen (`since` is when the pod finished terminating). */
      readonly failedAt: number;
      readonly ends: PodEnds;
      /** Last output lines of the failed container. */
      readonly logTail: readonly string[];
    };

export type PodPhase = PodState['phase'];
export type TerminalPodState = Extract<PodState, { phase: 'stopped' | 'failed' }>;

export type PodEventMap = {
  /** Both processes are running; the queue-proxy will listen on `address` (the activator probes it). */
  started: [address: string];
  /** The pod left `running`: take it out of load balancing. Only emitted after `started`. */
  stopping: [cause: DrainCause];
};

export interface PodOptions {
  readonly name: string;
  readonly revision: Revision;
  readonly ports: PodPorts;
  /** Program and arguments that start the queue-proxy, e.g. `[process.execPath, '/path/to/queue-proxy/dist/main.js']`. */
  readonly queueProxyCommand: readonly [string, ...string[]];
  /** Environment both processes inherit before the Knative variables are added. */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  /** Working directory of the user process when the container has no `workingDir`. */
  readonly cwd: string;
  readonly guard: ProcessGroupGuard;
  readonly logger: RuntimeLogger;
  /** Receives output lines; without it each line is logged at info with the pod's name. */
  readonly logSink?: PodLogSink;
  readonly clock: Clock;
  readonly queueProxyEnv?: QueueProxyEnvOptions;
  /** How long the surviving container gets to exit after the other one failed, before SIGKILL. */
  readonly failureGraceMs: number;
  /** Address the queue-proxy listens on. */
  readonly host?: string;
}

export interface StopOptions {
  /** Overrides the grace period (default: the revision's timeoutSeconds, Knative's terminationGracePeriodSeconds). */
  readonly graceMs?: number;
}

// Waiting for the output pipes after exit keeps the last lines of a crash; a forked child can hold them open.
const OUTPUT_DRAIN_MS = 200;

/**
 * A local pod: the user process and its queue-proxy, with a lifecycle mirroring a Kubernetes pod of a Knative
 * Revision. `start()` spawns both; `stop()` drains (queue-proxy first, then the user process, SIGKILL when the grace
 * period is over); if either process ends on its own, the other is stopped and the pod ends `failed`.
 */
export class Pod extends EventEmitter<PodEventMap> {
  readonly name: string;
  readonly revision: Revision;
  readonly revisionKey: string;
  readonly ports: PodPorts;
  readonly address: string;
  /** Settles once both processes are gone (and never rejects). */
  readonly done: Promise<TerminalPodState>;
  readonly #o: PodOptions;
  readonly #resolveDone: (s: TerminalPodState) => void;
  #state: PodState;
  #started = false;
  #user: ContainerProcess | undefined;
  #qp: ContainerProcess | undefined;
  #deadlineAt = Infinity;
  #cancelDeadline: () => void = () => {};

  constructor(options: PodOptions) {
    super();
    this.#o = options;
    this.name = options.name;
    this.revision = options.revision;
    this.revisionKey = revisionKey(options.revision);
    this.ports = options.ports;
    this.address = `${options.host ?? '127.0.0.1'}:${options.ports.queue}`;
    this.#state = { phase: 'starting', since: options.clock.now() };
    let resolveDone: (s: TerminalPodState) => void = () => {};
    this.done = new Promise((r) => (resolveDone = r));
    this.#resolveDone = resolveDone;
  }

  get state(): PodState {
    return this.#state;
  }

  /** Pids of the two processes, while they exist. */
  get pids(): { readonly user?: number; readonly queueProxy?: number } {
    const out: { user?: number; queueProxy?: number } = {};
    if (this.#user?.pid !== undefined && this.#user.end === undefined) out.user = this.#user.pid;
    if (this.#qp?.pid !== undefined && this.#qp.end === undefined) out.queueProxy = this.#qp.pid;
    return out;
  }

  /** Spawns the user process, then the queue-proxy; `started` follows once both run. */
  start(): void {
    if (this.#started) throw new Error(`pod ${this.name} was already started`);
    this.#started = true;
    if (this.#state.phase === 'starting') {
      this.#boot().catch((err: unknown) => {
        this.#o.logger.error({ revision: this.revisionKey, pod: this.name, err }, 'pod failed to boot');
        void this.stop({ graceMs: 0 });
      });
    }
  }

  /**
   * Drains the pod. Knative order: the queue-proxy gets SIGTERM and drains; the user process gets SIGTERM only once
   * the queue-proxy has exited (its preStop hook, `/wait-for-drain`, holds it that long); both get SIGKILL when the
   * grace period is over. Calling it again may shorten the grace period.
   */
  stop(options: StopOptions = {}): Promise<TerminalPodState> {
    const graceMs = options.graceMs ?? this.revision.timeoutSeconds * 1000;
    const s = this.#state;
    switch (s.phase) {
      case 'starting':
      case 'running':
        this.#beginTermination({ kind: 'stop' }, graceMs);
        break;
      case 'draining':
        this.#setDeadline(graceMs);
        break;
      case 'stopped':
      case 'failed':
        break;
      default:
        assertNever(s);
    }
    return this.done;
  }

  async #boot(): Promise<void> {
    const rev = this.revision;
    const user = this.#spawn('user-container', rev.container.command, rev.container.args, {
      ...this.#o.baseEnv,
      ...userEnv(rev, this.ports.user),
    });
    this.#user = user;
    if (!(await user.spawned) || this.#state.phase !== 'starting') return;
    const [program, ...args] = this.#o.queueProxyCommand;
    const qp = this.#spawn('queue-proxy', [program], args, {
      ...this.#o.baseEnv,
      ...queueProxyEnv(rev, this.ports, this.name, this.#o.queueProxyEnv),
    });
    this.#qp = qp;
    if (!(await qp.spawned) || this.#state.phase !== 'starting') return;
    this.#state = { phase: 'running', since: this.#o.clock.now(), address: this.address };
    this.#o.logger.info(
      { revision: this.revisionKey, pod: this.name, address: this.address, pids: this.pids },
      'pod started',
    );
    this.emit('started', this.address);
  }

  #spawn(
    container: ContainerName,
    command: readonly [string, ...string[]],
    args: readonly string[],
    env: Readonly<Record<string, string | undefined>>,
  ): ContainerProcess {
    const [program, ...leading] = command;
    const o = this.#o;
    const sink = o.logSink;
    const base = { revisionKey: this.revisionKey, pod: this.name, container };
    const cp = new ContainerProcess({
      container,
      command: program,
      args: [...leading, ...args],
      env,
      cwd: container === 'user-container' ? (this.revision.container.workingDir ?? o.cwd) : o.cwd,
      guard: o.guard,
      clock: o.clock,
      onLine:
        sink === undefined
          ? (stream, line) => {
              o.logger.info({ revision: this.revisionKey, pod: this.name, container, stream }, line);
            }
          : (stream, line) => {
              sink({ ...base, stream, line });
            },
    });
    void cp.ended.then((end) => {
      this.#onEnd(cp, end);
    });
    return cp;
  }

  #onEnd(cp: ContainerProcess, end: ContainerEnd): void {
    const s = this.#state;
    switch (s.phase) {
      case 'starting':
      case 'running': {
        const failure = describeFailure(cp.container, end);
        this.#o.logger.error(
          {
            revision: this.revisionKey,
            pod: this.name,
            container: cp.container,
            ...(end.kind === 'exit'
              ? { code: end.code, signal: end.signal, uptimeMs: end.uptimeMs }
              : { errno: end.errno }),
          },
          failure.message,
        );
        this.#beginTermination({ kind: 'failure', failure }, this.#o.failureGraceMs);
        return;
      }
      case 'draining':
      case 'stopped':
      case 'failed':
        // Expected while draining; the terminal state records every end.
        return;
      default:
        assertNever(s);
    }
  }

  #beginTermination(cause: DrainCause, graceMs: number): void {
    const wasRunning = this.#state.phase === 'running';
    this.#state = { phase: 'draining', since: this.#o.clock.now(), cause };
    this.#setDeadline(graceMs);
    if (cause.kind === 'stop') this.#o.logger.info({ revision: this.revisionKey, pod: this.name }, 'pod draining');
    if (wasRunning) this.emit('stopping', cause);
    void this.#terminate(cause).then((final) => {
      this.#state = final;
      if (final.phase === 'stopped') {
        this.#o.logger.info({ revision: this.revisionKey, pod: this.name }, 'pod stopped');
      }
      this.#resolveDone(final);
    });
  }

  async #terminate(cause: DrainCause): Promise<TerminalPodState> {
    const begunAt = this.#o.clock.now();
    const user = this.#user;
    const qp = this.#qp;
    if (cause.kind === 'stop') {
      if (qp !== undefined) {
        qp.signal('SIGTERM');
        await qp.ended;
      }
      if (user !== undefined) {
        user.signal('SIGTERM');
        await user.ended;
      }
    } else {
      user?.signal('SIGTERM');
      qp?.signal('SIGTERM');
      await Promise.all([user?.ended, qp?.ended]);
    }
    this.#cancelDeadline();
    let cancelDrain: () => void = () => {};
    await Promise.race([
      Promise.all([user?.outputClosed, qp?.outputClosed]),
      new Promise<void>((r) => (cancelDrain = this.#o.clock.setTimer(r, OUTPUT_DRAIN_MS))),
    ]);
    cancelDrain();
    const ends: { user?: ContainerEnd; queueProxy?: ContainerEnd } = {};
    if (user?.end !== undefined) ends.user = user.end;
    if (qp?.end !== undefined) ends.queueProxy = qp.end;
    const since = this.#o.clock.now();
    if (cause.kind === 'stop') return { phase: 'stopped', since, ends };
    const failed = cause.failure.container === 'user-container' ? user : qp;
    return { phase: 'failed', since, failure: cause.failure, failedAt: begunAt, ends, logTail: failed?.tail ?? [] };
  }

  #setDeadline(graceMs: number): void {
    const at = this.#o.clock.now() + graceMs;
    if (at >= this.#deadlineAt) return;
    this.#cancelDeadline();
    this.#deadlineAt = at;
    this.#cancelDeadline = this.#o.clock.setTimer(() => {
      const killed = [this.#qp, this.#user].filter((c) => c?.signal('SIGKILL') === true).map((c) => c?.container);
      if (killed.length > 0) {
        this.#o.logger.warn(
          { revision: this.revisionKey, pod: this.name, containers: killed, graceMs },
          'grace period over: pod killed',
        );
      }
    }, Math.max(0, graceMs));
  }
}

/** The one-line description of a container's end used in logs and events. */
export function describeFailure(container: ContainerName, end: ContainerEnd): PodFailure {
  let message: string;
  switch (end.kind) {
    case 'spawn-error':
      message = `${container} failed to start: ${end.message}`;
      break;
    case 'exit':
      message =
        end.signal !== null
          ? `${container} was killed by ${end.signal} after ${end.uptimeMs} ms`
          : `${container} exited with code ${String(end.code)} after ${end.uptimeMs} ms`;
      break;
    default:
      assertNever(end);
  }
  return { container, end, message };
}

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
