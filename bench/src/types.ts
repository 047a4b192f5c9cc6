/**
 * The benchmark runner's vocabulary. A suite is a list of targets (ways to reach the sample app: direct, through the
 * queue-proxy, through the activator...) and a list of scenarios (load shapes). The runner measures every scenario
 * against every target, interleaved, the baseline (direct to the app) first.
 */
import type { LoadResult } from './load-protocol.js';

/** `autocannon` (in a worker thread of the runner) or `wrk` (a child process on the same CPU). */
export type LoadGeneratorName = 'autocannon' | 'wrk';

/** Which CPU a process belongs on (docs/performance.md): the proxy alone on one, the app with the load generator on the other. */
export type Role = 'proxy' | 'app';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'PATCH' | 'OPTIONS';

export interface Scenario {
  /** Unique within a suite; used in tables and file names (`c100-size10-cc0`). */
  readonly name: string;
  /** Concurrent keep-alive connections of the load generator (closed loop: one request in flight on each). */
  readonly connections: number;
  /** Path and query appended to the target's URL: `/?size=65536`, `/?sleep=10`. */
  readonly path: string;
  readonly method?: HttpMethod;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Extra environment for the target's processes (e.g. `CONTAINER_CONCURRENCY`); applied to proxies and app alike. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * `split` (default): the proxy on its own CPU. `shared`: the proxy on the load generator's CPU too, so that no hop
   * wakes an idle CPU; docs/performance.md measures the 1-connection added latency that way (a cross-CPU wake-up on these
   * VMs costs more than the proxy's own work at one request at a time).
   */
  readonly cpus?: 'split' | 'shared';
}

export type Placement =
  | { readonly pinned: false; readonly reason: string }
  | {
      readonly pinned: true;
      /** `taskset -c` lists. */
      readonly proxyCpus: string;
      readonly appCpus: string;
      readonly loadCpus: string;
    };

export interface SpawnOptions {
  readonly role: Role;
  /** For log file names and messages: `sample-app`, `queue-proxy`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Added to the runner's own environment. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A process whose CPU belongs to a target: one the runner spawned (`ManagedProcess`), or one a spawned process
 * started itself (a control plane's pod: its queue-proxy and user process), known only by pid.
 */
export interface ProcessRef {
  readonly name: string;
  /** The CPU it runs on when pinned: `proxy` or `app` (with the load generator). */
  readonly role: Role;
  readonly pid: number;
  /** Undefined while running; absent for a process the runner did not spawn (then: gone once /proc/<pid> is). */
  exitInfo?(): ExitInfo | undefined;
  logTail?(lines?: number): string;
}

export interface ManagedProcess extends ProcessRef {
  /** `process.hrtime.bigint()` taken just before the spawn. */
  readonly spawnedAtNs: bigint;
  /** Where its stdout and stderr go (not piped into the runner: that would cost the load generator's CPU). */
  readonly logFile: string;
  /** Settles when the process exits, whatever the reason. */
  readonly exited: Promise<ExitInfo>;
  /** Undefined while running. */
  exitInfo(): ExitInfo | undefined;
  /** Last lines of its log, for error messages. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after a deadline; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface TargetContext {
  readonly scenario: Scenario;
  readonly placement: Placement;
  /** Absolute path of the repository (where `packages/` is). */
  readonly repoRoot: string;
  /** Spawns under `taskset` for its role when pinning; the runner stops every process spawned here after the run. */
  spawn(opts: SpawnOptions): ManagedProcess;
  /** `count` distinct ports free on 127.0.0.1 right now. */
  freePorts(count: number): Promise<number[]>;
  /**
   * Polls `url` (a fresh connection per attempt) until it answers 2xx; returns the milliseconds since `proc` was
   * spawned. A tight loop when `proc` is on another CPU than the runner, every 1 ms when they share one. Fails at
   * once, with the end of its log, if `proc` exits; fails after `timeoutMs` (default 15 s). `headers` go with every
   * attempt (the Host a router routes by).
   */
  waitForFirstResponse(url: string, proc: ManagedProcess, opts?: number | FirstResponseOptions): Promise<number>;
}

export interface FirstResponseOptions {
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface TargetInstance {
  /** Base URL without trailing slash; the scenario's path is appended. */
  readonly url: string;
  /** The process whose CPU and RSS are the result: the proxy, or the app itself for the direct baseline. */
  readonly measured: ManagedProcess;
  /** The user container behind a proxy; its CPU is recorded too (it shares a CPU with the load generator). */
  readonly app?: ProcessRef;
  /**
   * Further processes of the target besides `measured` and `app` (the standalone activator's queue-proxy; a control
   * plane's pod queue-proxy): their CPU per request is reported by name, counted on the CPU of their role, and not
   * counted as other people's. A run fails if one of them exits.
   */
  readonly related?: readonly ProcessRef[];
  /** Headers every request of the load carries, on top of the scenario's (the Host a router routes by). */
  readonly headers?: Readonly<Record<string, string>>;
  /** From spawning `measured` to its first 2xx answer through `url`, in ms (see `waitForFirstResponse`). */
  readonly startupMs: number;
  /** Extra cleanup; processes spawned through the context are stopped by the runner anyway. */
  readonly stop?: () => Promise<void>;
}

export interface Target {
  /** Column name in the tables: `direct`, `queue-proxy`. */
  readonly name: string;
  /** Starts fresh processes for one measurement; called once per scenario, target and repetition. */
  start(ctx: TargetContext): Promise<TargetInstance>;
  /** Only in the scenarios for which this returns true (default: every scenario). */
  readonly onlyIn?: (scenario: Scenario) => boolean;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  /** Compared with the baseline, in this order. */
  readonly targets: readonly Target[];
  readonly scenarios: readonly Scenario[];
  /** The reference every ratio is computed against; default: the sample app, hit directly. Always measured first. */
  readonly baseline?: Target;
  /** Runs before anything is started; throws with a message that says what is missing (e.g. an unbuilt binary). */
  readonly preflight?: (repoRoot: string) => Promise<void>;
  /** The targets, checked against the medians; shown at the top of the report as met / not met. */
  readonly goals?: (summaries: readonly Summary[]) => readonly Goal[];
  /** Default `autocannon`; `--loadgen` overrides it. */
  readonly loadGenerator?: LoadGeneratorName;
  /** A second reference target: the tables get a `× <it>` req/s column (go-reference: `go-proxy`). */
  readonly compareTo?: string;
}

/** One of an issue's performance targets, next to what was measured. */
export interface Goal {
  /** The target as the issue states it: `≤ 0.2 ms added p50 at one connection vs the queue-proxy`. */
  readonly goal: string;
  /** The measured figure(s) it is judged on, with how they were derived. */
  readonly measured: string;
  /** Undefined when the run did not measure what it needs (e.g. a `--scenario` filter left it out). */
  readonly met: boolean | undefined;
}

export interface LatencySummaryUs {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** One measured run of one scenario against one target: the load generator's result plus the process figures. */
export interface Measurement extends LoadResult {
  readonly scenario: string;
  readonly target: string;
  readonly rep: number;
  /** CPU time (user + system) of the measured process over the run, per completed request. */
  readonly cpuUsPerReq: number;
  /** Same, as a share of one CPU (100 = one full core). */
  readonly cpuPct: number;
  /** The app's CPU when it is not the measured process. */
  readonly appCpuUsPerReq?: number;
  /** CPU per request of each of the target's `related` processes, by name. */
  readonly relatedCpuUsPerReq?: Readonly<Record<string, number>>;
  /** CPU of the runner process (the load generator thread and the sampler), share of one CPU. */
  readonly loadCpuPct: number;
  /**
   * Runner + app CPU, share of one CPU: what the load generator's CPU carried when pinned. Near 100, req/s is bounded
   * by the client side (autocannon and the app), not by the measured proxy.
   */
  readonly loadSideCpuPct: number;
  /**
   * CPU the rest of the machine used meanwhile (all CPUs, share of one): other people's work on a shared machine.
   * Kernel work on behalf of the benchmark that is not charged to its processes lands here too, so expect a few %.
   */
  readonly otherCpuPct: number;
  /** VmRSS of the measured process, sampled during load. */
  readonly rssPeakKb: number;
  readonly rssEndKb: number;
  /** VmRSS right after the warm-up, when the measured run starts (absent in results from before it was recorded). */
  readonly rssWarmKb?: number;
  /** Median VmRSS over the second half of the measured run. */
  readonly rssSteadyKb?: number;
  readonly startupMs: number;
}

/** Medians over the repetitions, each metric on its own. */
export interface Summary {
  readonly scenario: string;
  readonly target: string;
  readonly reps: number;
  readonly reqPerS: number;
  /** reqPerS / baseline's reqPerS, both medians. */
  readonly ratioVsBaseline: number;
  readonly latencyUs: LatencySummaryUs;
  /** This target's median p50 minus the baseline's median p50, µs. */
  readonly addedP50Us: number;
  readonly cpuUsPerReq: number;
  readonly cpuPct: number;
  readonly appCpuUsPerReq?: number;
  readonly relatedCpuUsPerReq?: Readonly<Record<string, number>>;
  readonly loadCpuPct: number;
  readonly loadSideCpuPct: number;
  /** The highest over the repetitions, not the median: one disturbed run is worth knowing about. */
  readonly otherCpuPctMax: number;
  readonly rssPeakKb: number;
  readonly rssEndKb: number;
  readonly rssWarmKb?: number;
  readonly rssSteadyKb?: number;
  /** Summed over the repetitions. */
  readonly non2xx: number;
  readonly errors: number;
}

export interface StartupSummary {
  readonly target: string;
  readonly samples: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly node: string;
  readonly kernel: string;
  readonly os: string;
  readonly memTotalMb: number;
  readonly loadAvgAtStart: readonly number[];
}

export interface RunSettings {
  readonly durationS: number;
  readonly warmupS: number;
  readonly reps: number;
  readonly placement: Placement;
  readonly rssSampleMs: number;
  readonly clockTicksPerS: number;
  /** Absent in results from before wrk was an option: autocannon. */
  readonly loadGenerator?: LoadGeneratorName;
}

export interface SuiteResult {
  readonly suite: string;
  readonly description: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly settings: RunSettings;
  readonly targets: readonly string[];
  readonly scenarios: readonly Scenario[];
  readonly measurements: readonly Measurement[];
  readonly summaries: readonly Summary[];
  readonly startup: readonly StartupSummary[];
  /** The suite's targets (`Suite.goals`), judged on the summaries. */
  readonly goals: readonly Goal[];
  /** Anything the reader must know: CPU saturation of the load generator's CPU, failures... */
  readonly notes: readonly string[];
  /** `Suite.compareTo`. */
  readonly compareTo?: string;
}
