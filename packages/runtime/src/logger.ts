/**
 * The logging surface the runtime needs. A pino `Logger` satisfies it structurally; the runtime never creates a
 * logger or a child of one, so the platform's single root and its bindings stay in charge.
 */
export interface RuntimeLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

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
