import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runLoad, type LoadHooks, type LoadJob, type LoadResult } from './load.js';
import { machineInfo } from './machine.js';
import { choosePlacement, describePlacement, pinSelf, type PinMode } from './placement.js';
import { freePorts } from './ports.js';
import {
  clockTicksPerSecond,
  readCpuTicks,
  readSelfAndReapedChildrenTicks,
  readSystemBusyTicks,
  RssSampler,
  type RssStats,
} from './procfs.js';
import { spawnManaged, describeExit } from './processes.js';
import { median, round } from './stats.js';
import { waitForFirstResponse } from './startup.js';
import { directTarget } from './targets/sample-app.js';
import { requireWrk, runWrk } from './wrk.js';
import type {
  LoadGeneratorName,
  ManagedProcess,
  Measurement,
  Placement,
  ProcessRef,
  Scenario,
  StartupSummary,
  Suite,
  SuiteResult,
  Summary,
  Target,
  TargetContext,
  TargetInstance,
} from './types.js';

export interface RunnerOptions {
  /** Measured seconds per scenario, target and repetition. */
  readonly durationS: number;
  /** Load before each measured run, discarded (JIT, connection pools, buffers). */
  readonly warmupS: number;
  /** Interleaved repetitions; the summary takes the median of each metric. */
  readonly reps: number;
  /** `auto`: pin when taskset exists and there are ≥ 2 CPUs. */
  readonly pin: PinMode;
  readonly repoRoot: string;
  /** Log files of spawned processes go under `<resultsDir>/tmp/`. */
  readonly resultsDir: string;
  /** The command line that started the run, for the report. */
  readonly command: string;
  /** Default 100 ms. */
  readonly rssSampleMs?: number;
  /** autocannon's per-request timeout, default 10 s. */
  readonly requestTimeoutS?: number;
  /** Only scenarios for which this returns true. */
  readonly scenarioFilter?: (s: Scenario) => boolean;
  /** Progress lines; default: stderr. */
  readonly log?: (line: string) => void;
  /** Overrides the suite's `loadGenerator` (`--loadgen`). */
  readonly loadGenerator?: LoadGeneratorName;
  /** A failed measurement is logged and noted in the result instead of ending the run (`--keep-going`). */
  readonly keepGoing?: boolean;
  /** Called with the result so far after each repetition (to write partial results of a long run). */
  readonly onRepetition?: (partial: SuiteResult) => void;
}

/** When the load generator's CPU is at least this busy, req/s measures the client side rather than the proxy. */
const SATURATED_PCT = 90;
/** CPU used by the rest of the machine during a run above which the run is flagged as disturbed. */
const OTHER_CPU_NOTE_PCT = 10;

export function validateRunnerOptions(o: RunnerOptions): void {
  const problems: string[] = [];
  if (!(o.durationS > 0)) problems.push(`durationS must be > 0, got ${String(o.durationS)}`);
  if (!(o.warmupS >= 0)) problems.push(`warmupS must be >= 0, got ${String(o.warmupS)}`);
  if (!Number.isInteger(o.reps) || o.reps < 1) problems.push(`reps must be an integer >= 1, got ${String(o.reps)}`);
  if (o.rssSampleMs !== undefined && !(o.rssSampleMs >= 10)) problems.push(`rssSampleMs must be >= 10, got ${String(o.rssSampleMs)}`);
  if (o.requestTimeoutS !== undefined && !(o.requestTimeoutS > 0)) {
    problems.push(`requestTimeoutS must be > 0, got ${String(o.requestTimeoutS)}`);
  }
  if (problems.length > 0) throw new RangeError(`invalid runner options: ${problems.join('; ')}`);
}

export function validateSuite(suite: Suite, targets: readonly Target[]): void {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const t of targets) {
    if (names.has(t.name)) problems.push(`target name ${JSON.stringify(t.name)} is used twice`);
    names.add(t.name);
  }
  const scenarios = new Set<string>();
  for (const s of suite.scenarios) {
    if (scenarios.has(s.name)) problems.push(`scenario name ${JSON.stringify(s.name)} is used twice`);
    scenarios.add(s.name);
    if (!Number.isInteger(s.connections) || s.connections < 1) problems.push(`scenario ${s.name}: connections must be >= 1`);
    if (!s.path.startsWith('/')) problems.push(`scenario ${s.name}: path must start with /`);
  }
  if (suite.scenarios.length === 0) problems.push('no scenarios');
  if (problems.length > 0) throw new Error(`suite ${suite.name}: ${problems.join('; ')}`);
}

/** Runs a suite: every scenario against every target, interleaved, the baseline first; returns everything measured. */
export async function runSuite(suite: Suite, opts: RunnerOptions): Promise<SuiteResult> {
  validateRunnerOptions(opts);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const baseline = suite.baseline ?? directTarget();
  const targets = [baseline, ...suite.targets];
  validateSuite(suite, targets);
  const scenarios = suite.scenarios.filter(opts.scenarioFilter ?? (() => true));
  if (scenarios.length === 0) throw new Error(`suite ${suite.name}: no scenario matches the filter`);

  const loadGenerator: LoadGeneratorName = opts.loadGenerator ?? suite.loadGenerator ?? 'autocannon';
  if (loadGenerator === 'wrk') requireWrk();
  if (suite.preflight !== undefined) await suite.preflight(opts.repoRoot);
  const machine = machineInfo();
  const placement = choosePlacement(opts.pin);
  pinSelf(placement);

  const startedAt = new Date();
  const logDir = join(opts.resultsDir, 'tmp', `${suite.name}-${fileStamp(startedAt)}`);
  mkdirSync(logDir, { recursive: true });
  const ticksPerS = clockTicksPerSecond();
  const rssSampleMs = opts.rssSampleMs ?? 100;
  log(`suite ${suite.name}: ${String(scenarios.length)} scenarios × ${String(targets.length)} targets × ${String(opts.reps)} reps, ${loadGenerator}, ` +
    `${String(opts.warmupS)} s warm-up + ${String(opts.durationS)} s each; ${describePlacement(placement)}; logs in ${logDir}`);

  const measurements: Measurement[] = [];
  const failures: string[] = [];
  const assemble = (repsDone: number): SuiteResult => {
    const summaries = summarise(scenarios, targets, baseline.name, measurements);
    const notes = notesFor(placement, summaries, loadGenerator);
    if (repsDone < opts.reps) notes.unshift(`Partial result: ${String(repsDone)} of ${String(opts.reps)} repetitions done.`);
    if (failures.length > 0) notes.push(`Failed measurements (left out): ${failures.join('; ')}`);
    return {
      suite: suite.name,
      description: suite.description,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command: opts.command,
      machine,
      settings: {
        durationS: opts.durationS,
        warmupS: opts.warmupS,
        reps: repsDone,
        placement,
        rssSampleMs,
        clockTicksPerS: ticksPerS,
        loadGenerator,
      },
      targets: targets.map((t) => t.name),
      scenarios,
      measurements,
      summaries,
      startup: summariseStartup(targets, measurements),
      goals: suite.goals?.(summaries) ?? [],
      notes,
      ...(suite.compareTo === undefined ? {} : { compareTo: suite.compareTo }),
    };
  };
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const scenario of scenarios) {
      for (const target of targets) {
        if (target.onlyIn !== undefined && !target.onlyIn(scenario)) continue;
        const where = `${scenario.name} × ${target.name} (rep ${String(rep)}/${String(opts.reps)})`;
        let m: Measurement;
        try {
          m = await measureOne({
            scenario,
            target,
            rep,
            placement: placementFor(scenario, placement),
            logDir,
            ticksPerS,
            rssSampleMs,
            loadGenerator,
            opts,
          });
        } catch (err) {
          const why = `${where}: ${err instanceof Error ? err.message : String(err)}`;
          if (opts.keepGoing !== true) throw new Error(why, { cause: err });
          log(`FAILED ${why}`);
          failures.push(why.split('\n', 1)[0] ?? why);
          continue;
        }
        measurements.push(m);
        log(`${where}: ${fmtInt(m.reqPerS)} req/s, p50 ${fmtUs(m.latencyUs.p50)}, p99 ${fmtUs(m.latencyUs.p99)}, ` +
          `${m.cpuUsPerReq.toFixed(1)} µs CPU/req, RSS warm ${((m.rssWarmKb ?? NaN) / 1024).toFixed(1)} / peak ${(m.rssPeakKb / 1024).toFixed(1)} MB, ` +
          `load side ${String(m.loadSideCpuPct)} %, others ${String(m.otherCpuPct)} %, non-2xx ${String(m.non2xx)}, errors ${String(m.errors)}`);
      }
    }
    if (rep < opts.reps) opts.onRepetition?.(assemble(rep));
  }
  return assemble(opts.reps);
}

interface MeasureArgs {
  readonly scenario: Scenario;
  readonly target: Target;
  readonly rep: number;
  readonly placement: Placement;
  readonly logDir: string;
  readonly ticksPerS: number;
  readonly rssSampleMs: number;
  readonly loadGenerator: LoadGeneratorName;
  readonly opts: RunnerOptions;
}

interface Readings {
  readonly atNs: bigint;
  readonly measuredTicks: number;
  readonly appTicks: number;
  /** Per `related` process, in the same order. */
  readonly relatedTicks: readonly number[];
  readonly selfTicks: number;
  /** Every process of the target: spawned ones, the app and the related ones (each pid once). */
  readonly spawnedTicks: number;
  readonly systemTicks: number;
}

async function measureOne(a: MeasureArgs): Promise<Measurement> {
  const spawned: ManagedProcess[] = [];
  const ctx: TargetContext = {
    scenario: a.scenario,
    placement: a.placement,
    repoRoot: a.opts.repoRoot,
    spawn: (o) => {
      const p = spawnManaged(o, a.placement, a.logDir);
      spawned.push(p);
      return p;
    },
    freePorts,
    // A tight loop for a process on another CPU than the runner; on a shared one, spinning would steal half the CPU
    // the process is booting on (the sample app's startup doubled), so poll every millisecond instead.
    waitForFirstResponse: (url, proc, opts) => {
      const o = typeof opts === 'number' ? { timeoutMs: opts } : (opts ?? {});
      return waitForFirstResponse(url, proc, {
        pollGapMs: sharesRunnerCpu(a.placement, proc) ? 1 : 0,
        ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
        ...(o.headers === undefined ? {} : { headers: o.headers }),
      });
    },
  };
  let inst: TargetInstance | undefined;
  try {
    inst = await a.target.start(ctx);
    const measured = inst.measured;
    const app = inst.app;
    const related = inst.related ?? [];
    // Each pid once: the app and related processes may or may not be among the spawned ones.
    const ours = [...new Set([...spawned.map((p) => p.pid), ...(app === undefined ? [] : [app.pid]), ...related.map((p) => p.pid)])];
    const read = (): Readings => ({
      atNs: process.hrtime.bigint(),
      measuredTicks: readCpuTicks(measured.pid) ?? NaN,
      appTicks: app === undefined ? 0 : (readCpuTicks(app.pid) ?? NaN),
      relatedTicks: related.map((p) => readCpuTicks(p.pid) ?? NaN),
      // The runner (autocannon's thread) and the wrk processes it has waited for.
      selfTicks: readSelfAndReapedChildrenTicks(),
      spawnedTicks: ours.reduce((sum, pid) => sum + (readCpuTicks(pid) ?? 0), 0),
      systemTicks: readSystemBusyTicks(),
    });
    // Set by the load generator's hook; a box, because TypeScript does not follow assignments made in callbacks.
    const at: { before?: Readings; sampler?: RssSampler } = {};
    let load: LoadResult;
    let rss: RssStats | undefined;
    try {
      const job: LoadJob = {
        url: `${inst.url}${a.scenario.path}`,
        connections: a.scenario.connections,
        warmupS: a.opts.warmupS,
        durationS: a.opts.durationS,
        method: a.scenario.method ?? 'GET',
        timeoutS: a.opts.requestTimeoutS ?? 10,
        ...(a.scenario.headers === undefined && inst.headers === undefined
          ? {}
          : { headers: { ...a.scenario.headers, ...inst.headers } }),
        ...(a.scenario.body === undefined ? {} : { body: a.scenario.body }),
      };
      const hooks: LoadHooks = {
        beforeMeasure: () => {
          at.before = read();
          at.sampler = new RssSampler(measured.pid, a.rssSampleMs);
        },
      };
      load = a.loadGenerator === 'wrk' ? await runWrk(job, hooks, { placement: a.placement, logDir: a.logDir }) : await runLoad(job, hooks);
    } finally {
      rss = at.sampler?.stop();
    }
    const after = read();
    const before = at.before;
    for (const p of [measured, ...(app === undefined ? [] : [app]), ...related]) {
      const gone = exitedDuringRun(p);
      if (gone !== undefined) throw new Error(`${p.name} (pid ${String(p.pid)}) ${gone} during the run${p.logTail === undefined ? '' : `:\n${p.logTail()}`}`);
    }
    if (before === undefined || rss === undefined) throw new Error('the load generator never started its measured run');
    return toMeasurement(a, inst, load, before, after, rss);
  } finally {
    await inst?.stop?.();
    // Reverse spawn order: the proxy goes before the app it forwards to.
    for (const p of spawned.reverse()) await p.stop();
  }
}

/** How a process of the target ended, or undefined while it runs. */
function exitedDuringRun(p: ProcessRef): string | undefined {
  if (p.exitInfo !== undefined) {
    const exit = p.exitInfo();
    return exit === undefined ? undefined : describeExit(exit);
  }
  return readCpuTicks(p.pid) === undefined ? 'exited' : undefined;
}

/** Whether a process runs on the load generator's CPU (always assumed when nothing is pinned). */
export function sharesRunnerCpu(placement: Placement, proc: Pick<ProcessRef, 'role'>): boolean {
  if (!placement.pinned) return true;
  return (proc.role === 'proxy' ? placement.proxyCpus : placement.appCpus) === placement.loadCpus;
}

/** The run's placement, with the proxy moved to the load generator's CPU for a `shared` scenario. */
function placementFor(scenario: Scenario, placement: Placement): Placement {
  return scenario.cpus === 'shared' && placement.pinned ? { ...placement, proxyCpus: placement.loadCpus } : placement;
}

function toMeasurement(
  a: MeasureArgs,
  inst: TargetInstance,
  load: LoadResult,
  before: Readings,
  after: Readings,
  rss: RssStats,
): Measurement {
  const wallS = Number(after.atNs - before.atNs) / 1e9;
  const usPerTick = 1e6 / a.ticksPerS;
  const requests = Math.max(load.requests, 1);
  const measuredUs = (after.measuredTicks - before.measuredTicks) * usPerTick;
  const appUs = (after.appTicks - before.appTicks) * usPerTick;
  const selfUs = (after.selfTicks - before.selfTicks) * usPerTick;
  const othersUs = (after.systemTicks - before.systemTicks - (after.spawnedTicks - before.spawnedTicks)) * usPerTick - selfUs;
  const pct = (us: number): number => round((us / 1e6 / wallS) * 100);
  // CPU spent on the load generator's CPU besides the runner: the app (the measured process itself for direct).
  let sharedUs = 0;
  if (sharesRunnerCpu(a.placement, inst.measured)) sharedUs += measuredUs;
  if (inst.app !== undefined && sharesRunnerCpu(a.placement, inst.app)) sharedUs += appUs;
  const relatedCpu: Record<string, number> = {};
  for (const [i, p] of (inst.related ?? []).entries()) {
    const us = ((after.relatedTicks[i] ?? NaN) - (before.relatedTicks[i] ?? NaN)) * usPerTick;
    relatedCpu[p.name] = round(us / requests, 1);
    if (sharesRunnerCpu(a.placement, p)) sharedUs += us;
  }
  const m: Measurement = {
    scenario: a.scenario.name,
    target: a.target.name,
    rep: a.rep,
    durationS: load.durationS,
    requests: load.requests,
    reqPerS: round(load.reqPerS),
    latencyUs: load.latencyUs,
    latencyHistogram: load.latencyHistogram,
    ...(load.percentileCurveUs === undefined ? {} : { percentileCurveUs: load.percentileCurveUs }),
    non2xx: load.non2xx,
    errors: load.errors,
    timeouts: load.timeouts,
    statusCodes: load.statusCodes,
    cpuUsPerReq: round(measuredUs / requests, 1),
    cpuPct: pct(measuredUs),
    loadCpuPct: pct(selfUs),
    loadSideCpuPct: pct(selfUs + sharedUs),
    otherCpuPct: Math.max(0, pct(othersUs)),
    rssPeakKb: rss.peakKb,
    rssEndKb: rss.endKb,
    rssWarmKb: rss.startKb,
    rssSteadyKb: rss.steadyKb,
    startupMs: round(inst.startupMs, 2),
  };
  const withRelated = (inst.related ?? []).length === 0 ? m : { ...m, relatedCpuUsPerReq: relatedCpu };
  return inst.app === undefined ? withRelated : { ...withRelated, appCpuUsPerReq: round(appUs / requests, 1) };
}

function summarise(
  scenarios: readonly Scenario[],
  targets: readonly Target[],
  baselineName: string,
  ms: readonly Measurement[],
): Summary[] {
  const out: Summary[] = [];
  for (const s of scenarios) {
    const base = ms.filter((m) => m.scenario === s.name && m.target === baselineName);
    const baseRps = base.length > 0 ? median(base.map((m) => m.reqPerS)) : NaN;
    const baseP50 = base.length > 0 ? median(base.map((m) => m.latencyUs.p50)) : NaN;
    for (const t of targets) {
      const runs = ms.filter((m) => m.scenario === s.name && m.target === t.name);
      if (runs.length === 0) continue;
      const med = (f: (m: Measurement) => number): number => median(runs.map(f));
      const reqPerS = round(med((m) => m.reqPerS));
      const p50 = med((m) => m.latencyUs.p50);
      const appCpu = runs.every((m) => m.appCpuUsPerReq !== undefined) ? round(med((m) => m.appCpuUsPerReq ?? 0), 1) : undefined;
      const relatedNames = [...new Set(runs.flatMap((m) => Object.keys(m.relatedCpuUsPerReq ?? {})))];
      const relatedCpu: Record<string, number> = {};
      for (const n of relatedNames) relatedCpu[n] = round(med((m) => m.relatedCpuUsPerReq?.[n] ?? NaN), 1);
      const summary: Summary = {
        scenario: s.name,
        target: t.name,
        reps: runs.length,
        reqPerS,
        ratioVsBaseline: round(reqPerS / baseRps, 3),
        latencyUs: {
          p50,
          p90: med((m) => m.latencyUs.p90),
          p99: med((m) => m.latencyUs.p99),
          p999: med((m) => m.latencyUs.p999),
          max: med((m) => m.latencyUs.max),
          mean: round(med((m) => m.latencyUs.mean), 1),
        },
        addedP50Us: round(p50 - baseP50),
        cpuUsPerReq: round(med((m) => m.cpuUsPerReq), 1),
        cpuPct: round(med((m) => m.cpuPct)),
        loadCpuPct: round(med((m) => m.loadCpuPct)),
        loadSideCpuPct: round(med((m) => m.loadSideCpuPct)),
        otherCpuPctMax: Math.max(...runs.map((m) => m.otherCpuPct)),
        rssPeakKb: round(med((m) => m.rssPeakKb)),
        rssEndKb: round(med((m) => m.rssEndKb)),
        ...(runs.every((m) => m.rssWarmKb !== undefined && m.rssSteadyKb !== undefined)
          ? { rssWarmKb: round(med((m) => m.rssWarmKb ?? NaN)), rssSteadyKb: round(med((m) => m.rssSteadyKb ?? NaN)) }
          : {}),
        non2xx: runs.reduce((n, m) => n + m.non2xx, 0),
        errors: runs.reduce((n, m) => n + m.errors, 0),
      };
      const withRelated = relatedNames.length === 0 ? summary : { ...summary, relatedCpuUsPerReq: relatedCpu };
      out.push(appCpu === undefined ? withRelated : { ...withRelated, appCpuUsPerReq: appCpu });
    }
  }
  return out;
}

function summariseStartup(targets: readonly Target[], ms: readonly Measurement[]): StartupSummary[] {
  return targets.flatMap((t) => {
    const xs = ms.filter((m) => m.target === t.name).map((m) => m.startupMs);
    if (xs.length === 0) return [];
    return [{ target: t.name, samples: xs.length, medianMs: round(median(xs), 1), minMs: round(Math.min(...xs), 1), maxMs: round(Math.max(...xs), 1) }];
  });
}

function notesFor(placement: Placement, summaries: readonly Summary[], loadGenerator: LoadGeneratorName): string[] {
  const notes: string[] = [];
  if (!placement.pinned) notes.push(`Processes were not pinned (${placement.reason}): figures are not comparable with pinned runs.`);
  const saturated = summaries.filter((s) => s.loadSideCpuPct >= SATURATED_PCT);
  if (placement.pinned && saturated.length > 0) {
    notes.push(
      `The load generator's CPU (${loadGenerator} + app) was ≥ ${String(SATURATED_PCT)} % busy in: ` +
        `${saturated.map((s) => `${s.scenario} × ${s.target}`).join(', ')}. There, req/s is bounded by the client side, ` +
        'so a proxy faster than that shows a ratio near 1: compare CPU µs/req and latency instead.',
    );
  }
  const disturbed = summaries.filter((s) => s.otherCpuPctMax >= OTHER_CPU_NOTE_PCT);
  if (disturbed.length > 0) {
    notes.push(
      `Other processes used ≥ ${String(OTHER_CPU_NOTE_PCT)} % of a CPU during: ` +
        `${disturbed.map((s) => `${s.scenario} × ${s.target} (${String(s.otherCpuPctMax)} %)`).join(', ')}. ` +
        'The machine was not quiet: rerun before trusting these rows.',
    );
  }
  const failing = summaries.filter((s) => s.errors > 0 || s.non2xx > 0);
  if (failing.length > 0) {
    notes.push(`Errors or non-2xx answers in: ${failing.map((s) => `${s.scenario} × ${s.target}`).join(', ')}.`);
  }
  return notes;
}

export function fileStamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return '–';
  return Math.abs(us) >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${String(Math.round(us))} µs`;
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}
