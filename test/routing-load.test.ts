/**
 * Route changes under load, through a real `kdp serve` and the real `kdp` CLI: four keep-alive clients send requests
 * back to back while `kdp service update` creates a new revision (traffic moves to it once it is ready) and then
 * while a traffic change moves everything back to the old one. Every answer must be a 200 from the app, each
 * revision must answer, and no request sent after a change was acknowledged may reach the revision it moved away from.
 * Then the same for a shift onto a revision that has scaled to zero: the activator holds the requests while it starts.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, SAMPLE_APP_CMD, startServe } from './cli-harness.js';
import { ask, countBy, keepAliveAgent, kdpOk, revisionList, untilRevision, type Answer } from './helpers/traffic.js';

afterEach(async () => {
  await cleanup();
});

interface Sample extends Answer {
  readonly sentMs: number;
  readonly doneMs: number;
}

/** `workers` clients, each sending its next request when the previous answer is in, until stopped or `maxMs`. */
function startLoad(routerPort: number, host: string, workers: number, maxMs: number) {
  const agent = keepAliveAgent(workers);
  const samples: Sample[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const deadline = performance.now() + maxMs;
  let stopped = false;
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped && performance.now() < deadline) {
      const sentMs = performance.now();
      const a = await ask(routerPort, host, agent);
      samples.push({ ...a, sentMs, doneMs: performance.now() });
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i]!;
        if (samples.length >= w.count) {
          waiters.splice(i, 1);
          w.resolve();
        }
      }
    }
  });
  const finished = Promise.all(loops);
  return {
    samples,
    /** Resolves once `n` more answers are in; rejects if the load ends first. */
    async more(n: number): Promise<void> {
      const count = samples.length + n;
      await Promise.race([
        new Promise<void>((resolve) => waiters.push({ count, resolve })),
        finished.then(() => {
          if (samples.length < count) throw new Error(`load ended after ${String(samples.length)} answers, waiting for ${String(count)}`);
        }),
      ]);
    },
    async stop(): Promise<Sample[]> {
      stopped = true;
      await finished;
      agent.destroy();
      return samples;
    },
  };
}

describe('route changes under load', () => {
  it('a service update and a traffic shift during a client loop: only 200s, each from the right revision', { timeout: 75_000 }, async () => {
    const s = await startServe();
    const host = `hello.default.localhost:${String(s.routerPort)}`;
    await kdpOk(s.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD, '--env', 'TARGET=World', '--revision-name', 'world');

    const load = startLoad(s.routerPort, host, 4, 30_000);
    let samples: Sample[];
    const marks: Record<string, number> = {};
    try {
      await load.more(100);
      // A new revision: @latest (all the traffic) moves to it once it is ready.
      marks['updateSent'] = performance.now();
      await kdpOk(s.server, 'service', 'update', 'hello', '--env', 'TARGET=Knative', '--revision-name', 'knative');
      marks['updateDone'] = performance.now();
      await load.more(200);
      // A traffic change: from 0/100 to 100/0 (hello-world/hello-knative).
      marks['shiftSent'] = performance.now();
      await kdpOk(s.server, 'service', 'update', 'hello', '--traffic', 'hello-world=100');
      marks['shiftDone'] = performance.now();
      await load.more(200);
    } finally {
      samples = await load.stop();
    }

    const bad = samples.filter((a) => a.status !== 200);
    expect(bad.slice(0, 5), `${String(bad.length)} of ${String(samples.length)} not 200`).toEqual([]);
    const body: Record<string, string> = { 'hello-world': 'Hello World!\n', 'hello-knative': 'Hello Knative!\n' };
    expect(samples.filter((a) => body[a.revision] !== a.body).slice(0, 5)).toEqual([]);

    const { updateSent = 0, updateDone = 0, shiftSent = 0, shiftDone = 0 } = marks;
    const phase = (from: number, to: number): Record<string, number> =>
      countBy(samples.filter((a) => a.sentMs > from && a.doneMs < to), (a) => a.revision);
    const before = phase(0, updateSent);
    const between = phase(updateDone, shiftSent);
    const after = phase(shiftDone, Number.POSITIVE_INFINITY);
    const during = countBy(samples.filter((a) => a.doneMs >= updateSent && a.sentMs <= updateDone), (a) => a.revision);
    console.log(
      `load: ${String(samples.length)} answers in ${((samples.at(-1)?.doneMs ?? 0) - (samples[0]?.sentMs ?? 0)).toFixed(0)} ms; ` +
        `update took ${(updateDone - updateSent).toFixed(0)} ms (answers overlapping it: ${JSON.stringify(during)}), ` +
        `shift ${(shiftDone - shiftSent).toFixed(0)} ms; before ${JSON.stringify(before)}, between ${JSON.stringify(between)}, after ${JSON.stringify(after)}`,
    );
    expect(Object.keys(before)).toEqual(['hello-world']);
    expect(Object.keys(between)).toEqual(['hello-knative']);
    expect(Object.keys(after)).toEqual(['hello-world']);
    expect(Object.keys(countBy(samples, (a) => a.revision))).toEqual(['hello-knative', 'hello-world']);
  });

  it('a traffic shift onto a revision at zero pods during a client loop: only 200s, all from it once acknowledged', { timeout: 75_000 }, async () => {
    const s = await startServe();
    const host = `hello.default.localhost:${String(s.routerPort)}`;
    await kdpOk(s.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD, '--env', 'TARGET=World', '--revision-name', 'world');
    // The new revision starts (initial scale 1) without traffic, then idles to zero after a short window.
    await kdpOk(
      s.server, 'service', 'update', 'hello', '--env', 'TARGET=Knative', '--revision-name', 'knative', '--traffic', 'hello-world=100',
      '--scale-window', '6s', '--annotation', 'kdp.dev/scale-to-zero-grace-period=1s',
    );
    await untilRevision(s.server, 'hello-knative', 'zero pods', (r) => r.actualReplicas === 0, 40_000);

    const load = startLoad(s.routerPort, host, 4, 30_000);
    let samples: Sample[];
    let shiftSent = 0;
    let shiftDone = 0;
    try {
      await load.more(100);
      shiftSent = performance.now();
      await kdpOk(s.server, 'service', 'update', 'hello', '--traffic', 'hello-knative=100');
      shiftDone = performance.now();
      await load.more(200);
    } finally {
      samples = await load.stop();
    }

    const bad = samples.filter((a) => a.status !== 200);
    expect(bad.slice(0, 5), `${String(bad.length)} of ${String(samples.length)} not 200`).toEqual([]);
    const before = countBy(samples.filter((a) => a.doneMs < shiftSent), (a) => a.revision);
    const after = countBy(samples.filter((a) => a.sentMs > shiftDone), (a) => a.revision);
    const slowest = Math.max(...samples.filter((a) => a.revision === 'hello-knative').map((a) => a.doneMs - a.sentMs));
    console.log(
      `cold shift under load: ${String(samples.length)} answers; shift took ${(shiftDone - shiftSent).toFixed(0)} ms; ` +
        `before ${JSON.stringify(before)}, after ${JSON.stringify(after)}; slowest hello-knative answer ${slowest.toFixed(0)} ms`,
    );
    expect(Object.keys(before)).toEqual(['hello-world']);
    expect(Object.keys(after)).toEqual(['hello-knative']);
    expect((await revisionList(s.server, 'hello')).find((r) => r.name === 'hello-knative')?.actualReplicas).toBeGreaterThanOrEqual(1);
  });
});
