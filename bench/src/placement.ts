import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/** The CPUs this process may run on (`Cpus_allowed_list`), or all online CPUs if that cannot be read. */
export function allowedCpus(): number[] {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m?.[1] !== undefined) {
      return m[1].split(',').flatMap((part) => {
        const [lo, hi] = part.split('-').map(Number);
        if (lo === undefined || !Number.isInteger(lo)) return [];
        const end = hi === undefined ? lo : hi;
        return Array.from({ length: end - lo + 1 }, (_, i) => lo + i);
      });
    }
  } catch {
    // not Linux
  }
  return listCpus().map((_, i) => i);
}

/**
 * docs/performance.md's placement: the proxy alone on CPU 0, the app and the load generator on CPU 1, so the proxy's
 * throughput is bounded by one core and nothing else competes with it. `auto` pins when taskset exists and this
 * process may use at least two CPUs; `on` insists.
 */
export function choosePlacement(mode: PinMode): Placement {
  if (mode === 'off') return { pinned: false, reason: 'pinning disabled (--no-pin)' };
  // The first two CPUs this process may use (0 and 1 on a plain 2-CPU machine; others inside a cpuset).
  const allowed = allowedCpus();
  const [proxyCpu, loadCpu] = allowed;
  const taskset = hasTaskset();
  if (proxyCpu !== undefined && loadCpu !== undefined && taskset) {
    return { pinned: true, proxyCpus: String(proxyCpu), appCpus: String(loadCpu), loadCpus: String(loadCpu) };
  }
  const reason = allowed.length < 2 ? `only ${String(allowed.length)} CPU allowed` : 'taskset not found';
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
