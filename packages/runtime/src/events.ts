import type { EventEmitter } from 'node:events';
import type { PodFailure } from './pod.js';

/*
 * Events the runtime emits for the activator (load-balancing membership) and the CLI (failures).
 * A pod is announced by `podStarted` and retracted by `podStopping` (before it drains) then `podStopped`
 * (once both processes are gone); a pod that never got both processes running emits none of the three.
 */

export interface PodStartedEvent {
  readonly revisionKey: string;
  readonly podId: string;
  /** `127.0.0.1:<queue port>`: the queue-proxy; the activator probes it for readiness. */
  readonly address: string;
}

export interface PodStoppingEvent {
  readonly revisionKey: string;
  readonly podId: string;
  readonly address: string;
  /** `scale-down`: fewer pods wanted; `shutdown`: revision removed or runtime closing; `failure`: a process died. */
  readonly reason: 'scale-down' | 'shutdown' | 'failure';
}

export type PodStoppedEvent =
  | {
      readonly revisionKey: string;
      readonly podId: string;
      readonly address: string;
      readonly outcome: 'stopped';
    }
  | {
      readonly revisionKey: string;
      readonly podId: string;
      readonly address: string;
      readonly outcome: 'failed';
      readonly failure: PodFailure;
      readonly logTail: readonly string[];
      /** When a replacement will start; null when none is wanted. */
      readonly restartInMs: number | null;
    };

/**
 * A pod of the revision could not start or died right after starting (a command that does not exist, an app that
 * exits at once): the revision is not going to serve until something changes. Emitted for every such attempt;
 * the runtime keeps retrying with backoff while pods are wanted.
 */
export interface RevisionFailedEvent {
  readonly revisionKey: string;
  readonly podId: string;
  /** Knative's condition reason: `ExitCode<n>` (128 + signal number for a signal, as Kubernetes reports it), or
   * `SpawnFailed` when the process could not be started at all. */
  readonly reason: string;
  /** One line for people, e.g. `user-container failed to start: command "fo" not found (spawn fo ENOENT)`. */
  readonly message: string;
  readonly failure: PodFailure;
  /** Last output lines of the failed process (Kubernetes' FallbackToLogsOnError termination message). */
  readonly logTail: readonly string[];
  readonly consecutiveFailures: number;
  /** When the next attempt starts; null when no pod is wanted any more. */
  readonly retryInMs: number | null;
}

export type RuntimeEventMap = {
  podStarted: [event: PodStartedEvent];
  podStopping: [event: PodStoppingEvent];
  podStopped: [event: PodStoppedEvent];
  revisionFailed: [event: RevisionFailedEvent];
};

/** Where runners send their events (the Supervisor). */
export type RuntimeEmitter = Pick<EventEmitter<RuntimeEventMap>, 'emit'>;
