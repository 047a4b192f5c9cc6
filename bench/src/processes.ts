import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { placeCommand } from './placement.js';
import type { ExitInfo, ManagedProcess, Placement, SpawnOptions } from './types.js';

const STOP_DEADLINE_MS = 5000;

let sequence = 0;

/**
 * Spawns a process for a target: pinned for its role, its output in a log file (a pipe read by the runner would
 * spend the load generator's CPU), environment = the runner's plus `opts.env`.
 */
export function spawnManaged(opts: SpawnOptions, placement: Placement, logDir: string): ManagedProcess {
  sequence++;
  const logFile = join(logDir, `${String(sequence).padStart(3, '0')}-${opts.name}.log`);
  const fd = openSync(logFile, 'a');
  const placed = placeCommand(placement, opts.role, opts.command, opts.args);
  const spawnedAtNs = process.hrtime.bigint();
  const child = spawn(placed.command, placed.args, {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);

  let exit: ExitInfo | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
    child.once('error', (err) => {
      spawnError = err;
      exit = { code: null, signal: null };
      resolve(exit);
    });
  });

  const logTail = (lines = 20): string => {
    let text = '';
    try {
      text = readFileSync(logFile, 'utf8');
    } catch {
      // nothing logged
    }
    const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
    return spawnError === undefined ? tail : `${tail}\n${spawnError.message}`.trim();
  };

  const pid = child.pid ?? -1;
  return {
    name: opts.name,
    role: opts.role,
    pid,
    spawnedAtNs,
    logFile,
    exited,
    exitInfo: () => exit,
    logTail,
    async stop() {
      if (exit !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function describeExit(e: ExitInfo): string {
  return e.signal !== null ? `killed by ${e.signal}` : e.code === null ? 'failed to start' : `exit code ${String(e.code)}`;
}
