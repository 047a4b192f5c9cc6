import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { OrphanGuard } from './orphan-guard.js';
import { assertDistFresh, distIndexUrl } from './testing/dist.js';
import { isDead, recordingLogger, waitForDeath } from './testing/recorder.js';

const strays: number[] = [];
afterEach(() => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A detached group: a shell and a `sleep` child, both ignoring SIGTERM. Resolves with both pids. */
async function stubbornGroup(): Promise<{ leader: number; child: number }> {
  const sh = spawn('sh', ['-c', 'trap "" TERM; sleep 300 & echo $!; wait'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const leader = sh.pid ?? 0;
  strays.push(leader);
  const [chunk] = (await once(sh.stdout, 'data')) as [Buffer];
  return { leader, child: Number(chunk.toString().trim()) };
}

describe('OrphanGuard', () => {
  it('kills watched groups when its pipe closes, escalating to SIGKILL after the grace period', async () => {
    const { logger } = recordingLogger();
    const guard = new OrphanGuard({ logger, graceMs: 300 });
    const g = await stubbornGroup();
    guard.watch(g.leader);
    const t0 = performance.now();
    await guard.close();
    const elapsed = performance.now() - t0;
    await waitForDeath([g.leader, g.child], 2000);
    // SIGTERM was ignored, so only the SIGKILL after the grace period could have ended them.
    expect(elapsed).toBeGreaterThanOrEqual(250);
  });

  it('leaves a group alone once it is unwatched', async () => {
    const { logger } = recordingLogger();
    const guard = new OrphanGuard({ logger, graceMs: 100 });
    const g = await stubbornGroup();
    guard.watch(g.leader);
    guard.unwatch(g.leader);
    await guard.close();
    expect(isDead(g.leader)).toBe(false);
    expect(isDead(g.child)).toBe(false);
  });

  it('restarts after being killed and still protects the groups it watched', async () => {
    const { logger, entries } = recordingLogger();
    const guard = new OrphanGuard({ logger, graceMs: 100 });
    const g = await stubbornGroup();
    guard.watch(g.leader);
    const first = guard.pid ?? 0;
    process.kill(first, 'SIGKILL');
    await entries.until((es) => es.some((e) => e.msg === 'orphan guard exited; restarting it'), 'guard exit log');
    // The restart is rate-limited to one per second; wait for the new shell to exist.
    const start = performance.now();
    while (guard.pid === undefined || guard.pid === first) {
      if (performance.now() - start > 3000) throw new Error('guard did not restart');
      await new Promise((r) => setTimeout(r, 20));
    }
    await guard.close();
    await waitForDeath([g.leader, g.child], 2000);
  });

  // Regression: the guard is unref'd so it never keeps the control plane alive, which made `await close()` never
  // settle (exit code 13, "unsettled top-level await") once nothing else held the event loop.
  it('close() settles even when the guard is the only thing left in the event loop', async () => {
    assertDistFresh();
    const script = `
      import { spawn } from 'node:child_process';
      const { OrphanGuard } = await import(${JSON.stringify(distIndexUrl)});
      const logger = { debug() {}, info() {}, warn() {}, error() {} };
      const guard = new OrphanGuard({ logger, graceMs: 100 });
      const sleeper = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
      sleeper.unref();
      guard.watch(sleeper.pid);
      console.log(sleeper.pid);
      await guard.close();
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const [code] = (await once(child, 'exit')) as [number | null];
    const [pid, closed] = out.trim().split('\n');
    expect({ code, closed }).toEqual({ code: 0, closed: 'closed' });
    await waitForDeath([Number(pid)], 2000);
  });

  it('rejects ids that kill(2) would read as "my group" or init', () => {
    const guard = new OrphanGuard({ logger: recordingLogger().logger });
    expect(() => {
      guard.watch(0);
    }).toThrow(RangeError);
    expect(() => {
      guard.watch(1);
    }).toThrow(RangeError);
  });
});
