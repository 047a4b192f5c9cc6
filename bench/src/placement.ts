import { execFileSync } from 'node:child_process';
import { cpus as listCpus } from 'node:os';
import type { Placement, Role } from './types.js';

export type PinMode = 'auto' | 'on' | 'off';

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * PERFORMANCE.md's placement: the proxy alone on CPU 0, the app and the load generator on CPU 1, so the proxy's
 * throughput is bounded by one core and nothing else competes with it. `auto` pins when taskset exists and there are
 * at least two CPUs; `on` insists.
 */
export function choosePlacement(mode: PinMode): Placement {
  if (mode === 'off') return { pinned: false, reason: 'pinning disabled (--no-pin)' };
  // Online CPUs, not this process's affinity (which pinSelf, or a caller's taskset, may already have narrowed).
  const cpus = listCpus().length;
  const taskset = hasTaskset();
  if (cpus >= 2 && taskset) return { pinned: true, proxyCpus: '0', appCpus: '1', loadCpus: '1' };
  const reason = cpus < 2 ? `only ${String(cpus)} CPU available` : 'taskset not found';
  if (mode === 'on') throw new Error(`cannot pin processes: ${reason}`);
  return { pinned: false, reason };
}

/**
 * Moves every thread of the runner (main, libuv pool, V8 helpers; `-a`) to the load generator's CPU. Threads and
 * processes created afterwards inherit it; the proxy is spawned under its own `taskset -c`.
 */
export function pinSelf(placement: Placement): void {
  if (!placement.pinned) return;
  execFileSync('taskset', ['-a', '-p', '-c', placement.loadCpus, String(process.pid)], { stdio: 'ignore' });
}

/** The command line that runs `command args` on the CPUs of `role`. */
export function placeCommand(
  placement: Placement,
  role: Role,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  if (!placement.pinned) return { command, args: [...args] };
  const cpus = role === 'proxy' ? placement.proxyCpus : placement.appCpus;
  return { command: 'taskset', args: ['-c', cpus, command, ...args] };
}

export function describePlacement(p: Placement): string {
  return p.pinned
    ? `proxy on CPU ${p.proxyCpus}; app and load generator on CPU ${p.appCpus === p.loadCpus ? p.appCpus : `${p.appCpus}/${p.loadCpus}`}`
    : `not pinned (${p.reason})`;
}
