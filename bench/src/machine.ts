import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import type { MachineInfo } from './types.js';

export function machineInfo(): MachineInfo {
  let cpuModel = 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1] !== undefined) cpuModel = m[1].trim();
  } catch {
    // not Linux
  }
  return {
    cpuModel,
    cpus: cpus().length,
    node: process.version,
    kernel: release(),
    os: osType(),
    memTotalMb: Math.round(totalmem() / 2 ** 20),
    loadAvgAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}
