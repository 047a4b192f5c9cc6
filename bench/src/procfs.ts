import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Readers of /proc (Linux only). CPU times are in clock ticks (`getconf CLK_TCK`, 100 on Linux): 10 ms resolution,
 * which over a 10 s run at thousands of requests per second is well under 0.1 µs per request.
 */
export function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // getconf missing: fall through to Linux's USER_HZ.
  }
  return 100;
}

/** utime + stime of a process (all its threads), in clock ticks; undefined once it has gone. */
export function readCpuTicks(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (utime) and 15 (stime) of proc(5) are at 11 and 12 once fields 1-2 are cut.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/**
 * utime + stime of this process plus cutime + cstime: the CPU of its children that exited and were waited for
 * (the wrk processes of a run), in clock ticks.
 */
export function readSelfAndReapedChildrenTicks(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let sum = 0;
    for (let i = 11; i <= 14; i++) sum += Number(rest[i]);
    return sum;
  } catch {
    return NaN;
  }
}

/**
 * Busy time of the whole machine in clock ticks, all CPUs: user, nice, system, irq, softirq and steal from the
 * `cpu` line of /proc/stat (idle and iowait left out).
 */
export function readSystemBusyTicks(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  } catch {
    return NaN;
  }
}

/** VmRSS of a process in KiB; undefined once it has gone. */
export function readRssKb(pid: number): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

export interface RssStats {
  /** When the sampler started: right after the warm-up, before the measured run. */
  readonly startKb: number;
  readonly peakKb: number;
  readonly endKb: number;
  /** Median of the samples taken in the second half of the run: the level RSS settles at under load. */
  readonly steadyKb: number;
  readonly samples: number;
}

/** Samples a process's RSS on a timer; `stop()` takes a last sample and returns start, peak, steady and end. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  readonly #startKb: number;
  #peakKb: number;
  #lastKb: number;
  readonly #series: number[] = [];

  constructor(pid: number, intervalMs: number) {
    this.#pid = pid;
    this.#startKb = readRssKb(pid) ?? 0;
    this.#peakKb = this.#startKb;
    this.#lastKb = this.#startKb;
    this.#series.push(this.#startKb);
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample(): void {
    const kb = readRssKb(this.#pid);
    if (kb === undefined) return;
    this.#series.push(kb);
    this.#lastKb = kb;
    if (kb > this.#peakKb) this.#peakKb = kb;
  }

  stop(): RssStats {
    clearInterval(this.#timer);
    this.#sample();
    const secondHalf = this.#series.slice(Math.floor(this.#series.length / 2)).sort((a, b) => a - b);
    const steadyKb = secondHalf[secondHalf.length >> 1] ?? this.#lastKb;
    return { startKb: this.#startKb, peakKb: this.#peakKb, endKb: this.#lastKb, steadyKb, samples: this.#series.length };
  }
}

/** pid → parent pid of every process visible in /proc. */
function parentMap(): Map<number, number> {
  const out = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Field 4 (ppid) is the second field after the command name's closing parenthesis.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(ppid)) out.set(Number(name), ppid);
  }
  return out;
}

/** `root` and every live descendant of it (children, grandchildren: a control plane's pods). */
export function processTree(root: number): number[] {
  const parents = parentMap();
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid);
    if (list === undefined) children.set(ppid, [pid]);
    else list.push(pid);
  }
  const out: number[] = [];
  const todo = [root];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU of a process tree in clock ticks: utime + stime of every live member, plus cutime + cstime (the CPU of its
 * children that exited and were waited for, so a pod that stopped during a window is still counted, by its parent).
 */
export function treeCpuTicks(root: number): number {
  let sum = 0;
  for (const pid of processTree(root)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    } catch {
      continue;
    }
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime stime cutime cstime: fields 14-17 of proc(5), at 11-14 once fields 1-2 are cut.
    for (let i = 11; i <= 14; i++) {
      const v = Number(rest[i]);
      if (Number.isFinite(v)) sum += v;
    }
  }
  return sum;
}

/**
 * Machine-wide TCP listen queue counters (`TcpExt` of /proc/net/netstat): connections dropped because a listener's
 * accept queue was full. A SYN dropped that way is retried by the client 1 s later (then 3 s...), so a non-zero delta
 * over a burst explains seconds of latency. Undefined where the file is missing.
 */
export function readListenDrops(): { overflows: number; drops: number } | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/netstat', 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]?.split(' ') ?? [];
  const values = lines[1]?.split(' ') ?? [];
  const get = (n: string): number => Number(values[names.indexOf(n)]);
  const overflows = get('ListenOverflows');
  const drops = get('ListenDrops');
  return Number.isFinite(overflows) && Number.isFinite(drops) ? { overflows, drops } : undefined;
}
