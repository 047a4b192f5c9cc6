/**
 * Suites that are not "load shapes × targets": cold starts, bursts. The runner gives them what the scenario runner
 * gives a target (placement, pinned spawns stopped at the end, free ports, startup polling) and writes their result
 * as JSON + Markdown in the same layout (machine, command, placement, targets met / not met, tables, notes).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo } from './machine.js';
import { choosePlacement, describePlacement, pinSelf, type PinMode } from './placement.js';
import { freePorts } from './ports.js';
import { clockTicksPerSecond, readSystemBusyTicks, treeCpuTicks } from './procfs.js';
import { spawnManaged } from './processes.js';
import { fileStamp, sharesRunnerCpu } from './runner.js';
import { round } from './stats.js';
import { waitForFirstResponse } from './startup.js';
import type { Goal, MachineInfo, ManagedProcess, Placement, TargetContext } from './types.js';

/** JSON-serialisable raw data of a custom suite (every sample), kept in the result file. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [k: string]: Json };

/** Any plain data as `Json`, numbers rounded to `digits` decimals (raw samples for the result file). */
export function toJson(value: unknown, digits = 3): Json {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' ? round(v, digits) : v))) as Json;
}

export interface CustomOptions {
  /** `--samples N`: how many cold starts, bursts...; each suite has its default. */
  readonly samples?: number;
  readonly quick: boolean;
}

export interface CustomContext extends Pick<TargetContext, 'placement' | 'repoRoot' | 'spawn' | 'freePorts' | 'waitForFirstResponse'> {
  readonly options: CustomOptions;
  log(line: string): void;
  /**
   * Starts a CPU window: the returned function gives the share of one CPU that processes other than the runner and
   * its descendants (spawned processes, their pods) used since, for flagging samples taken on a busy machine.
   */
  othersCpuWindow(): () => number;
}

/** A Markdown table with a title and an optional paragraph. `right`: columns to right-align (numbers). */
export interface ReportSection {
  readonly title: string;
  readonly text?: string;
  readonly columns: readonly string[];
  readonly right?: readonly number[];
  readonly rows: readonly (readonly string[])[];
}

export interface CustomOutcome {
  /** Shown in the header: sample counts, request counts, annotations used... */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly goals: readonly Goal[];
  readonly sections: readonly ReportSection[];
  readonly notes: readonly string[];
  readonly data: Json;
}

export interface CustomSuite {
  readonly kind: 'custom';
  readonly name: string;
  readonly description: string;
  readonly preflight?: (repoRoot: string) => Promise<void>;
  run(ctx: CustomContext): Promise<CustomOutcome>;
}

export interface CustomSuiteResult extends CustomOutcome {
  readonly kind: 'custom';
  readonly suite: string;
  readonly description: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly placement: Placement;
}

export function isCustomSuite(v: unknown): v is CustomSuite {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return s['kind'] === 'custom' && typeof s['name'] === 'string' && typeof s['run'] === 'function';
}

export interface CustomRunnerOptions {
  readonly pin: PinMode;
  readonly repoRoot: string;
  readonly resultsDir: string;
  readonly command: string;
  readonly options: CustomOptions;
  readonly log?: (line: string) => void;
}

export async function runCustomSuite(suite: CustomSuite, o: CustomRunnerOptions): Promise<CustomSuiteResult> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (o.options.samples !== undefined && !(Number.isInteger(o.options.samples) && o.options.samples >= 1)) {
    throw new RangeError(`--samples must be an integer >= 1, got ${String(o.options.samples)}`);
  }
  if (suite.preflight !== undefined) await suite.preflight(o.repoRoot);
  const machine = machineInfo();
  const placement = choosePlacement(o.pin);
  pinSelf(placement);
  const startedAt = new Date();
  const logDir = join(o.resultsDir, 'tmp', `${suite.name}-${fileStamp(startedAt)}`);
  mkdirSync(logDir, { recursive: true });
  log(`suite ${suite.name}: ${describePlacement(placement)}; logs in ${logDir}`);

  const ticksPerS = clockTicksPerSecond();
  const spawned: ManagedProcess[] = [];
  const ctx: CustomContext = {
    placement,
    repoRoot: o.repoRoot,
    options: o.options,
    log,
    spawn: (opts) => {
      const p = spawnManaged(opts, placement, logDir);
      spawned.push(p);
      return p;
    },
    freePorts,
    waitForFirstResponse: (url, proc, opts) => {
      const w = typeof opts === 'number' ? { timeoutMs: opts } : (opts ?? {});
      return waitForFirstResponse(url, proc, {
        pollGapMs: sharesRunnerCpu(placement, proc) ? 1 : 0,
        ...(w.timeoutMs === undefined ? {} : { timeoutMs: w.timeoutMs }),
        ...(w.headers === undefined ? {} : { headers: w.headers }),
      });
    },
    othersCpuWindow() {
      const t0 = process.hrtime.bigint();
      const sys0 = readSystemBusyTicks();
      const ours0 = treeCpuTicks(process.pid);
      return () => {
        const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
        const others = readSystemBusyTicks() - sys0 - (treeCpuTicks(process.pid) - ours0);
        return Math.max(0, round((others / ticksPerS / wallS) * 100));
      };
    },
  };
  let outcome: CustomOutcome;
  try {
    outcome = await suite.run(ctx);
  } finally {
    for (const p of spawned.reverse()) await p.stop();
  }
  const notes = [...outcome.notes];
  if (!placement.pinned) notes.unshift(`Processes were not pinned (${placement.reason}): figures are not comparable with pinned runs.`);
  return {
    kind: 'custom',
    suite: suite.name,
    description: suite.description,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: o.command,
    machine,
    placement,
    ...outcome,
    notes,
  };
}
