import { describe, expect, it } from 'vitest';
import type { ContainerEnd } from './container-process.js';
import { describeFailure } from './pod.js';
import { failureReason, scaleDownOrder } from './revision-runner.js';

describe('scaleDownOrder', () => {
  it.each<[string, { id: string; phase: 'starting' | 'running'; startedAt: number }[], string[]]>([
    [
      'newest running first',
      [
        { id: 'a', phase: 'running', startedAt: 1 },
        { id: 'b', phase: 'running', startedAt: 3 },
        { id: 'c', phase: 'running', startedAt: 2 },
      ],
      ['b', 'c', 'a'],
    ],
    [
      'starting before running, however old',
      [
        { id: 'old-running', phase: 'running', startedAt: 5 },
        { id: 'starting', phase: 'starting', startedAt: 1 },
      ],
      ['starting', 'old-running'],
    ],
  ])('%s', (_name, pods, want) => {
    expect(scaleDownOrder(pods).map((p) => p.id)).toEqual(want);
  });
});

describe('failureReason and describeFailure', () => {
  it.each<[ContainerEnd, string, string]>([
    [{ kind: 'exit', code: 3, signal: null, uptimeMs: 41 }, 'ExitCode3', 'user-container exited with code 3 after 41 ms'],
    [{ kind: 'exit', code: null, signal: 'SIGKILL', uptimeMs: 5 }, 'ExitCode137', 'user-container was killed by SIGKILL after 5 ms'],
    [{ kind: 'exit', code: 0, signal: null, uptimeMs: 7 }, 'ExitCode0', 'user-container exited with code 0 after 7 ms'],
    [
      { kind: 'spawn-error', errno: 'ENOENT', message: 'command "x" not found (spawn x ENOENT)' },
      'SpawnFailed',
      'user-container failed to start: command "x" not found (spawn x ENOENT)',
    ],
  ])('%j → %s', (end, reason, message) => {
    const f = describeFailure('user-container', end);
    expect(failureReason(f)).toBe(reason);
    expect(f.message).toBe(message);
  });
});
