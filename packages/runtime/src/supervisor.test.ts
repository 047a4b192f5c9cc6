import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeConfigError } from './errors.js';
import type { PodLogLine } from './logger.js';
import { PortAllocator } from './ports.js';
import { makeRevision, revisionKey, type RevisionInput } from './revision-spec.js';
import { Supervisor, type SupervisorOptions } from './supervisor.js';
import { writeFixtures, type Fixtures } from './testing/fixtures.js';
import { Recorder, isDead, recordEvents, recordingLogger, type RecordedEvent } from './testing/recorder.js';

let fx: Fixtures;
const open: Supervisor[] = [];

beforeAll(() => {
  fx = writeFixtures();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close({ graceMs: 500 })));
});
afterAll(() => {
  fx.remove();
});

function setup(over: Partial<SupervisorOptions> = {}, env: Record<string, string> = {}) {
  const { logger, entries } = recordingLogger();
  const lines = new Recorder<PodLogLine>();
  const ports = new PortAllocator();
  const sup = new Supervisor({
    queueProxyCommand: [process.execPath, fx.fakeQueueProxy],
    env: { ...process.env, ...env },
    logger,
    logSink: (l) => {
      lines.push(l);
    },
    ports,
    orphanGraceMs: 200,
    ...over,
  });
  open.push(sup);
  return { sup, events: recordEvents(sup), entries, lines, ports };
}

function addRevision(sup: Supervisor, over: Partial<RevisionInput> = {}): string {
  const rev = makeRevision({
    name: 'hello-00001',
    container: { command: [process.execPath, fx.userApp] },
    timeoutSeconds: 5,
    ...over,
  });
  sup.addRevision(rev);
  return revisionKey(rev);
}

const count = (t: RecordedEvent['type']) => (es: readonly RecordedEvent[]) => es.filter((e) => e.type === t).length;
const any = (t: RecordedEvent['type']) => (es: readonly RecordedEvent[]) => count(t)(es) > 0;
type EventOf = { [K in RecordedEvent['type']]: Extract<RecordedEvent, { type: K }>['e'] };
const first = <T extends keyof EventOf>(es: readonly RecordedEvent[], t: T): EventOf[T] | undefined =>
  es.find((e) => e.type === t)?.e as EventOf[T] | undefined;

describe('Supervisor', () => {
  it('scales 0 → 2 → 0: two pods on distinct ports announced, then retracted before they drain', async () => {
    const { sup, events, lines, ports } = setup();
    const key = addRevision(sup);
    sup.scale(key, 2);
    await events.until((es) => count('podStarted')(es) === 2, 'two podStarted');
    await lines.until((ls) => ls.filter((l) => l.line.startsWith('fake-qp: listening')).length === 2, 'two QPs');
    const started = events.items.flatMap((e) => (e.type === 'podStarted' ? [e.e] : []));
    expect(new Set(started.map((e) => e.address)).size).toBe(2);
    for (const e of started) {
      expect(e.revisionKey).toBe('default/hello-00001');
      expect(e.address).toMatch(/^127\.0\.0\.1:\d+$/);
      await new Promise<void>((resolve, reject) => {
        const [host, port] = e.address.split(':');
        const s = connect(Number(port), host, () => {
          s.end();
          resolve();
        }).on('error', reject);
      });
    }
    const status = sup.status(key);
    expect(status.pods.map((p) => p.phase)).toEqual(['running', 'running']);
    expect(ports.size).toBe(12);
    const pids = status.pods.flatMap((p) => [p.pids.user ?? 0, p.pids.queueProxy ?? 0]);

    sup.scale(key, 0);
    await events.until((es) => count('podStopped')(es) === 2, 'two podStopped');
    for (const { podId } of started) {
      const mine = events.items.filter((e) => e.type !== 'revisionFailed' && e.e.podId === podId).map((e) => e.type);
      expect(mine).toEqual(['podStarted', 'podStopping', 'podStopped']);
    }
    expect(events.items.filter((e) => e.type === 'podStopping').map((e) => e.type === 'podStopping' && e.e.reason)).toEqual([
      'scale-down',
      'scale-down',
    ]);
    expect(pids.every(isDead)).toBe(true);
    expect(sup.status(key).pods).toEqual([]);
    expect(ports.size).toBe(0);
  });

  it('replaces a crashing pod with exponential backoff, logs the exit code, and resets once a pod stays up', async () => {
    const counter = join(fx.dir, 'crash-counter');
    const { sup, events, entries } = setup(
      { backoff: { initialMs: 200, maxMs: 10_000, resetAfterMs: 1200 }, startupWindowMs: 1000 },
      { APP_COUNTER_FILE: counter, APP_CRASH_TIMES: '3', APP_CRASH_AFTER_MS: '50', APP_CRASH_CODE: '3' },
    );
    const key = addRevision(sup);
    sup.scale(key, 1);
    await events.until((es) => count('podStarted')(es) === 4, 'four starts', 15_000);
    const stopped = events.items.flatMap((e) => (e.type === 'podStopped' ? [e] : []));
    expect(stopped.map((s) => s.e.outcome === 'failed' && s.e.restartInMs)).toEqual([200, 400, 800]);
    for (const s of stopped) {
      expect(s.e).toMatchObject({
        outcome: 'failed',
        failure: { container: 'user-container', end: { kind: 'exit', code: 3 } },
      });
      expect(s.e.outcome === 'failed' && s.e.logTail).toContainEqual(expect.stringMatching(/^app: crashing on purpose/));
    }
    // The next pod never started before the announced backoff was over.
    const starts = events.items.filter((e) => e.type === 'podStarted');
    stopped.forEach((s, i) => {
      const wait = s.e.outcome === 'failed' ? (s.e.restartInMs ?? 0) : 0;
      expect((starts[i + 1]?.at ?? 0) - s.at).toBeGreaterThanOrEqual(wait - 20);
    });
    const crashLogs = entries.items.filter((e) => e.level === 'error' && /exited with code 3/.test(e.msg));
    expect(crashLogs).toHaveLength(3);
    expect(crashLogs[0]?.obj).toMatchObject({ revision: key, container: 'user-container', code: 3, signal: null });
    expect(events.items.filter((e) => e.type === 'revisionFailed').map((e) => e.type === 'revisionFailed' && e.e.reason)).toEqual(
      ['ExitCode3', 'ExitCode3', 'ExitCode3'],
    );

    // The fourth pod stays up past resetAfterMs: the failure count goes back to zero ...
    await entries.until((es) => es.some((e) => e.msg.includes('backoff reset')), 'backoff reset');
    expect(sup.status(key)).toMatchObject({ consecutiveFailures: 0, desired: 1 });
    expect(sup.status(key).lastFailure).toBeUndefined();
    // ... so its crash (outside the startup window: no revisionFailed) restarts after the initial delay again.
    process.kill(sup.status(key).pods[0]?.pids.user ?? 0, 'SIGKILL');
    const last = await events.until((es) => count('podStopped')(es) === 4, 'fourth podStopped');
    expect(last.at(-1)?.e).toMatchObject({ outcome: 'failed', restartInMs: 200 });
    expect(count('revisionFailed')(events.items)).toBe(3);
    await events.until((es) => count('podStarted')(es) === 5, 'replacement');
  });

  it('reports a command that does not exist as a revision failure, without starting a queue-proxy', async () => {
    const { sup, events, lines } = setup();
    const key = addRevision(sup, { container: { command: ['kdp-no-such-command-xyz', '--flag'] } });
    sup.scale(key, 1);
    const failed = first(await events.until(any('revisionFailed'), 'revisionFailed'), 'revisionFailed');
    expect(failed).toMatchObject({
      revisionKey: key,
      reason: 'SpawnFailed',
      message:
        'revision default/hello-00001 failed to start: user-container failed to start: ' +
        'command "kdp-no-such-command-xyz" not found (spawn kdp-no-such-command-xyz ENOENT)',
      consecutiveFailures: 1,
      retryInMs: 100,
      failure: { container: 'user-container', end: { kind: 'spawn-error', errno: 'ENOENT' } },
    });
    expect(sup.status(key).lastFailure?.reason).toBe('SpawnFailed');
    sup.scale(key, 0);
    expect(count('podStarted')(events.items)).toBe(0);
    expect(lines.items.filter((l) => l.container === 'queue-proxy')).toEqual([]);
  });

  it('reports an app that exits at once with its exit code and its last output', async () => {
    const { sup, events } = setup();
    const key = addRevision(sup, {
      container: { command: [process.execPath, '-e', 'console.error("boom: DATABASE_URL is not set"); process.exit(7)'] },
    });
    sup.scale(key, 1);
    const failed = first(await events.until(any('revisionFailed'), 'revisionFailed'), 'revisionFailed');
    expect(failed).toMatchObject({
      reason: 'ExitCode7',
      message: expect.stringMatching(/^revision default\/hello-00001 failed to start: user-container exited with code 7 after \d+ ms$/) as unknown,
      logTail: ['boom: DATABASE_URL is not set'],
    });
    sup.scale(key, 0);
  });

  it('validates its options, reporting every problem at once', () => {
    const { logger } = recordingLogger();
    expect(() => new Supervisor({ queueProxyCommand: [], env: {}, logger, failureGraceMs: -1, backoff: { maxMs: 1 } }))
      .toThrow(RuntimeConfigError);
    try {
      new Supervisor({ queueProxyCommand: [], env: {}, logger, failureGraceMs: -1, backoff: { maxMs: 1 } });
    } catch (e) {
      expect((e as RuntimeConfigError).lines).toEqual([
        'queueProxyCommand: must be a non-empty list of non-empty strings',
        'failureGraceMs: must be a non-negative number',
        'backoff.maxMs: must not be below backoff.initialMs',
      ]);
    }
  });

  it('keeps revisions immutable and rejects unknown keys', () => {
    const { sup } = setup();
    const key = addRevision(sup);
    expect(() => addRevision(sup)).not.toThrow();
    expect(() => addRevision(sup, { containerConcurrency: 5 })).toThrow(/immutable/);
    expect(() => {
      sup.scale('default/nope', 1);
    }).toThrow(/unknown revision/);
    expect(() => {
      sup.scale(key, -1);
    }).toThrow(RangeError);
  });

  // The real sidecar, once built (`npm run build` builds it before `npm test`; skipped when it is not built).
  const realQueueProxy = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'queue-proxy', 'dist', 'main.js');
  it.skipIf(!existsSync(realQueueProxy))('runs a pod with the real queue-proxy and drains it', async () => {
    const { sup, events, lines } = setup({
      queueProxyCommand: [process.execPath, realQueueProxy],
      queueProxyEnv: { drainQuietPeriodSeconds: 1 },
    });
    const key = addRevision(sup);
    sup.scale(key, 1);
    const address = first(await events.until(any('podStarted'), 'podStarted'), 'podStarted')?.address ?? '';
    await lines.until((ls) => ls.some((l) => l.line.startsWith('app: listening')), 'app listening');
    // Readiness as the activator sees it: the queue-proxy answers the probe once it and the app are up.
    const deadline = performance.now() + 10_000;
    let status = 0;
    while (status !== 200 && performance.now() < deadline) {
      status = await fetch(`http://${address}/`, { headers: { 'K-Network-Probe': 'queue' } })
        .then((r) => r.status)
        .catch(() => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
    sup.scale(key, 0);
    const stopped = await events.until(any('podStopped'), 'podStopped', 15_000);
    expect(stopped.at(-1)?.e).toMatchObject({ outcome: 'stopped' });
  });
});
