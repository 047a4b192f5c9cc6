import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDistFresh, distIndexUrl } from './testing/dist.js';
import { writeFixtures, type Fixtures } from './testing/fixtures.js';
import { Recorder, isDead, waitForDeath } from './testing/recorder.js';

let fx: Fixtures;
beforeAll(() => {
  assertDistFresh();
  fx = writeFixtures();
});
afterAll(() => {
  fx.remove();
});

interface Pids {
  user: number;
  queueProxy: number;
  grandchild: number;
  guard: number;
}

// The stand-in control plane is a separate Node process: it runs the built runtime (dist/), not these sources.
describe('no orphans', () => {
  it.each([
    ['is SIGKILLed', {}],
    ['dies of an uncaught exception', { STAND_IN_CRASH: '1' }],
  ])('every pod process is gone within 3 s after the control plane %s', async (_how, env) => {
    const cp = spawn(
      process.execPath,
      [fx.controlPlaneStandIn, distIndexUrl, fx.fakeQueueProxy, fx.userApp],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
    );
    const out = new Recorder<string>();
    cp.stdout.setEncoding('utf8').on('data', (c: string) => {
      for (const l of c.split('\n')) if (l !== '') out.push(l);
    });
    cp.stderr.resume();
    const exited = once(cp, 'exit');
    const lines = await out.until((ls) => ls.some((l) => l.startsWith('READY ')), 'stand-in READY');
    const pids = JSON.parse(lines.find((l) => l.startsWith('READY '))?.slice(6) ?? '{}') as Pids;
    const all = [pids.user, pids.queueProxy, pids.grandchild, pids.guard];
    expect(all.every((p) => Number.isInteger(p) && p > 1)).toBe(true);
    expect(all.filter(isDead)).toEqual([]);

    if (!('STAND_IN_CRASH' in env)) cp.kill('SIGKILL');
    const [, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    if (!('STAND_IN_CRASH' in env)) expect(signal).toBe('SIGKILL');
    // The app ignores SIGTERM and forked a grandchild: the guard's SIGKILL of the whole group (after its 500 ms
    // grace) is what ends them. The guard exits once done.
    const tookMs = await waitForDeath(all, 3000);
    expect(tookMs).toBeLessThan(3000);
  });
});
