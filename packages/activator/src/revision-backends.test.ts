import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@kdp/core';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { createHttpProber } from './prober.js';
import type { ProbeFn } from './prober.js';
import { RevisionBackends } from './revision-backends.js';
import type { BackendsListener, ReadyPod } from './revision-backends.js';
import { startFakeQueueProxy } from './testing/fake-queue-proxy.js';

const logger = createLogger({ name: 'activator-test', level: 'silent' });

interface Events extends BackendsListener {
  log: string[];
  ready: ReadyPod[];
}

function events(): Events {
  const log: string[] = [];
  const ready: ReadyPod[] = [];
  return {
    log,
    ready,
    podReady: (rev, pod) => {
      ready.push(pod);
      log.push(`ready ${rev} ${pod.podId}`);
    },
    podRemoved: (rev, id) => log.push(`removed ${rev} ${id}`),
    podFailed: (rev, id) => log.push(`failed ${rev} ${id}`),
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}

function backends(listener: BackendsListener, probe: ProbeFn, extra: { probeGiveUpMs?: number; probeTimeoutMs?: number } = {}): RevisionBackends {
  const b = new RevisionBackends({ listener, probe, clock: systemClock, logger, probeIntervalMs: 10, ...extra });
  cleanups.push(() => b.close());
  return b;
}

describe('RevisionBackends over a real queue-proxy probe', () => {
  it('probes at once, keeps probing until 200 `queue`, then announces the pod with its timestamps', async () => {
    const qp = await startFakeQueueProxy('p1');
    const prober = createHttpProber();
    cleanups.push(() => qp.close(), () => prober.close());
    const ev = events();
    const b = backends(ev, prober.probe);
    b.podStarted('ns/rev', 'p1', qp.host, qp.port);
    await qp.waitForProbes(3);
    expect(b.status('ns/rev')[0]?.phase).toBe('probing');
    qp.setReady();
    await until(() => ev.ready.length === 1);
    const pod = ev.ready[0]!;
    expect(pod.upstream.authority).toBe(`127.0.0.1:${String(qp.port)}`);
    expect(pod.readyAtMs).toBeGreaterThan(pod.startedAtMs);
    expect(b.readyPods('ns/rev').map((p) => p.podId)).toEqual(['p1']);
    // Ready pods are not probed again.
    const probes = qp.probes.length;
    await new Promise((r) => setTimeout(r, 40));
    expect(qp.probes.length).toBe(probes);
  });

  it.each([
    { status: 200, body: 'queue', want: true },
    { status: 200, body: 'queued', want: false },
    { status: 200, body: '', want: false },
    { status: 503, body: 'queue', want: false },
    { status: 200, body: 'queue'.repeat(40), want: false },
  ])('probe answer $status "$body" → ready $want', async ({ status, body, want }) => {
    const server = http.createServer((_req, res) => res.writeHead(status).end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const prober = createHttpProber();
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())), () => prober.close());
    const port = (server.address() as AddressInfo).port;
    expect(await prober.probe('127.0.0.1', port, AbortSignal.timeout(1000))).toBe(want);
  });

  it('a refused connection is "not ready", never an error', async () => {
    const prober = createHttpProber();
    cleanups.push(() => prober.close());
    // Port 9 (discard) on loopback is closed here.
    expect(await prober.probe('127.0.0.1', 9, AbortSignal.timeout(300))).toBe(false);
  });

  it('gives up after the bound and reports the pod as failed', async () => {
    const ev = events();
    const b = backends(ev, () => Promise.resolve(false), { probeGiveUpMs: 60 });
    b.podStarted('ns/rev', 'p1', '127.0.0.1', 1);
    await until(() => ev.log.length === 1);
    expect(ev.log).toEqual(['failed ns/rev p1']);
    expect(b.status('ns/rev')[0]?.phase).toBe('failed');
  });

  it('aborts a probe that hangs past its timeout and tries again', async () => {
    let calls = 0;
    const hang: ProbeFn = (_h, _p, signal) => {
      calls++;
      if (calls >= 3) return Promise.resolve(true);
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(false)));
    };
    const ev = events();
    const b = backends(ev, hang, { probeTimeoutMs: 20 });
    b.podStarted('ns/rev', 'p1', '127.0.0.1', 1);
    await until(() => ev.ready.length === 1);
    expect(calls).toBe(3);
  });

  it('podStopping removes a ready pod at once; podStopped forgets it; stale probe answers are ignored', async () => {
    const ev = events();
    let answer: ((ok: boolean) => void) | null = null;
    const manual: ProbeFn = () => new Promise((resolve) => (answer = resolve));
    const b = backends(ev, manual);
    b.podStarted('ns/rev', 'p1', '127.0.0.1', 1);
    answer!(true);
    await until(() => ev.ready.length === 1);
    b.podStopping('ns/rev', 'p1');
    expect(ev.log).toEqual(['ready ns/rev p1', 'removed ns/rev p1']);
    b.podStopped('ns/rev', 'p1');
    expect(b.status('ns/rev')).toEqual([]);
    // A pod stopped while its probe is in flight never becomes ready.
    b.podStarted('ns/rev', 'p2', '127.0.0.1', 2);
    const late = answer!;
    b.podStopped('ns/rev', 'p2');
    late(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(ev.ready.map((p) => p.podId)).toEqual(['p1']);
  });

  it('a restarted pod id starts over (removed, then probed afresh)', async () => {
    const ev = events();
    const b = backends(ev, () => Promise.resolve(true));
    b.podStarted('ns/rev', 'p1', '127.0.0.1', 1);
    await until(() => ev.ready.length === 1);
    b.podStarted('ns/rev', 'p1', '127.0.0.1', 2);
    await until(() => ev.ready.length === 2);
    expect(ev.log).toEqual(['ready ns/rev p1', 'removed ns/rev p1', 'ready ns/rev p1']);
    expect(ev.ready[1]?.upstream.port).toBe(2);
  });

  it('podUnreachable: a ready pod leaves load balancing at once, is probed again, and returns when a probe passes', async () => {
    let healthy = true;
    const probes: string[] = [];
    const ev = events();
    const b = backends(ev, (host, port) => {
      probes.push(`${host}:${String(port)}`);
      return Promise.resolve(healthy);
    });
    b.podStarted('ns/rev', 'p1', '127.0.0.1', 9);
    await until(() => ev.ready.length === 1);
    healthy = false;
    const before = probes.length;
    b.podUnreachable('ns/rev', 'p1');
    expect(ev.log).toEqual(['ready ns/rev p1', 'removed ns/rev p1']);
    expect(b.status('ns/rev')[0]?.phase).toBe('probing');
    await until(() => probes.length >= before + 3);
    healthy = true;
    await until(() => ev.ready.length === 2);
    expect(ev.log).toEqual(['ready ns/rev p1', 'removed ns/rev p1', 'ready ns/rev p1']);
    // Not ready: nothing to do.
    b.podUnreachable('ns/rev', 'nope');
    expect(ev.log).toHaveLength(3);
  });
});
