import type { KdpLogger } from '@kdp/core';

/**
 * The logging surface the runtime needs: core's one narrow logger, all four levels. The runtime never creates a
 * logger or a child of one, so the platform's single root and its bindings stay in charge.
 */
export type RuntimeLogger = KdpLogger;

/** The containers of a pod, named as Knative names them in the pod spec. */
export type ContainerName = 'user-container' | 'queue-proxy';

export interface PodLogLine {
  readonly revisionKey: string;
  readonly pod: string;
  readonly container: ContainerName;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

/** Receives every output line of every pod process, already split and length-bounded. */
export type PodLogSink = (line: PodLogLine) => void;
