/**
 * The contract between the control plane (data path + pods: @kdp/platform) and the object layer above it (store,
 * reconciler, control API, CLI). The object layer speaks Knative objects; the control plane speaks immutable
 * Revision snapshots (runtime's `Revision`) and resolved routes (router's `RouteInput`).
 */
import type { EventEmitter } from 'node:events';
import type { AutoscalerConfig } from '@kdp/autoscaler';
import type { Logger } from '@kdp/core';
import type { Clock, PodLogSink, PodPhase, Revision } from '@kdp/runtime';
import type { RouteInput } from '@kdp/router';
import type { HostForward } from '@kdp/router';

/** One pod of a revision as the control plane sees it (an addition for status output and tests). */
export interface PodRuntimeStatus {
  /** Pod name, `<revision>-<n>`. */
  readonly name: string;
  /** The runtime's lifecycle phase: starting, running, draining (stopped pods are not listed). */
  readonly phase: PodPhase;
  /** Passed the activator's readiness probe and takes requests. */
  readonly ready: boolean;
  /** `127.0.0.1:<queue-proxy port>`. */
  readonly address: string;
  /** Pids of the user process and the queue-proxy while they run. */
  readonly pids: { readonly user?: number; readonly queueProxy?: number };
}

export interface RevisionRuntimeStatus {
  /** `namespace/name`. */
  readonly key: string;
  /** At least one pod passed the activator's readiness probe at some point since the revision was added. */
  readonly everReady: boolean;
  readonly readyPods: number;
  /** Pods the runtime runs (starting or running). */
  readonly actualPods: number;
  /** The autoscaler's current desired count. */
  readonly desiredPods: number;
  /** Set when the revision's pods fail to start (bad command, exits at once, port in use...). */
  readonly failure: { readonly reason: string; readonly message: string } | null;
  /** Addition: every pod that still exists, draining ones included. */
  readonly pods: readonly PodRuntimeStatus[];
  /**
   * Addition: Knative's routing state. `pending` until a route first names the revision, `active` while one does,
   * `reserve` after the routes dropped it: then it is unreachable, min-scale no longer holds it up.
   */
  readonly routingState: 'pending' | 'active' | 'reserve';
  /** Addition: what the autoscaler observed at its last decision (NaN averages before the first one). */
  readonly autoscaling: AutoscalingObservation | null;
  /** Addition: live traffic numbers for people (`kdp revision list -o wide`, describe). */
  readonly live: LiveRevisionNumbers;
}

/** Traffic through the activator (every request of the local platform) and the last cold start. */
export interface LiveRevisionNumbers {
  /** Requests in pods now, and waiting in the activator. */
  readonly inFlight: number;
  readonly queued: number;
  /** Over the last `windowS` seconds (a minute once the revision is that old); null before the first sample. */
  readonly windowS: number | null;
  readonly rps: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** The last cold start (first buffered request to first response byte) and its phases, in ms. */
  readonly lastColdStart: {
    readonly agoS: number;
    readonly totalMs: number;
    readonly podStartMs: number;
    readonly appReadyMs: number;
    readonly firstByteMs: number;
  } | null;
}

export interface AutoscalingObservation {
  readonly metric: 'concurrency' | 'rps';
  /** Average over the stable window, revision-wide (activator reports + scraped pods, proxied requests once). */
  readonly stable: number;
  /** Average over the panic window. */
  readonly panic: number;
  /** Per-pod target the decider divides by. */
  readonly target: number;
  readonly panicking: boolean;
}

export interface ControlPlaneEvents {
  revisionReady: [key: string];
  revisionFailed: [key: string, reason: string, message: string];
  scaled: [key: string, desired: number];
}

export interface ControlPlane {
  /** Router address, e.g. `http://127.0.0.1:8080`. */
  readonly routerUrl: string;
  readonly domain: string;
  readonly events: EventEmitter<ControlPlaneEvents>;
  /** Adds a revision (idempotent for an identical snapshot). It starts at its initial scale (Knative: 1 unless annotated). */
  addRevision(rev: Revision): void;
  /** Drains and stops the revision's pods; requests for it then get 404 from the router. */
  removeRevision(key: string): Promise<void>;
  revisionStatus(key: string): RevisionRuntimeStatus | undefined;
  /** Replaces the whole route table atomically (one reference swap). Throws without changing anything if invalid. */
  setRoutes(routes: readonly RouteInput[]): void;
  /** Addition: the activator's metrics (request counts, queued/active, cold-start phases) as Prometheus text. */
  metricsText(): Promise<string>;
  /** Stops everything: router, pods (drained), timers. No child process survives. */
  stop(): Promise<void>;
}

/** Options of `startControlPlane` (control-plane.ts). Only `routerPort` is required. */
export interface ControlPlaneOptions {
  /** Router port; 0 picks a free one (tests). */
  readonly routerPort: number;
  /** Default `127.0.0.1`: a local platform is not exposed to the network unless asked. */
  readonly routerHost?: string;
  /** Domain of route hosts; default the router's `localhost` (`hello.default.localhost`). */
  readonly domain?: string;
  /** `Knative-Serving-Tag` header routing on the default host; default on (router `RouteTable` default). */
  readonly tagHeaderRouting?: boolean;
  /** The process's one pino root; a `kdp` logger at info level is created when absent. */
  readonly logger?: Logger;
  /** `config-autoscaler` overrides (Knative defaults otherwise). */
  readonly autoscaler?: Partial<AutoscalerConfig>;
  /**
   * Program and arguments of the queue-proxy; default `[process.execPath, ...QUEUE_PROXY_NODE_FLAGS,
   * <@kdp/queue-proxy>/bin/kdp-queue-proxy.js]`.
   */
  readonly queueProxyCommand?: readonly string[];
  /** Environment pods inherit; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory of user processes without `workingDir`; default the process's cwd. */
  readonly cwd?: string;
  /** Receives every pod output line; default: logged at info. */
  readonly logSink?: PodLogSink;
  /** The queue-proxy's drain quiet period (`KDP_DRAIN_QUIET_PERIOD_SECONDS`); default 1 (see options.ts). */
  readonly drainQuietPeriodSeconds?: number;
  /** How long `stop()` lets in-flight requests, then pods, finish before cutting them off; default 5000. */
  readonly shutdownGraceMs?: number;
  /** Pause between two activator readiness probes of a starting pod; default the activator's 50 ms. */
  readonly probeIntervalMs?: number;
  /** One monotonic clock for runtime, activator and autoscaler; default `performance.now()` with real timers. */
  readonly clock?: Clock;
  /** Hosts the router forwards to local servers when no route matches (the broker ingress). */
  readonly hostForwards?: readonly HostForward[];
}
