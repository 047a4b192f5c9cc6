import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import type { PodLogLine } from './logger.js';
import { OrphanGuard } from './orphan-guard.js';
import { Pod, type DrainCause } from './pod.js';
import { PortAllocator } from './ports.js';
import { makeRevision, type EnvVar } from './revision-spec.js';
import { writeFixtures, type Fixtures } from './testing/fixtures.js';
import { Recorder, isDead, recordingLogger } from './testing/recorder.js';

let fx: Fixtures;
const allocator = new PortAllocator();
const { logger, entries } = recordingLogger();
const guard = new OrphanGuard({ logger, graceMs: 200 });

beforeAll(() => {
  fx = writeFixtures();
});
afterAll(async () => {
  await guard.close();
  fx.remove();
});

async function newPod(opts: { env?: Record<string, string>; containerEnv?: EnvVar[]; command?: string[] } = {}) {
  const rev = makeRevision({
    namespace: 'ns1',
    name: 'hello-00001',
    service: 'hello',
    configuration: 'hello-cfg',
    timeoutSeconds: 5,
    container: {
      command: opts.command ?? [process.execPath, fx.userApp],
      env: opts.containerEnv ?? [],
      workingDir: fx.dir,
    },
  });
  const ports = await allocator.allocate();
  const lines = new Recorder<PodLogLine>();
  const pod = new Pod({
    name: 'hello-00001-1',
    revision: rev,
    ports,
    queueProxyCommand: [process.execPath, fx.fakeQueueProxy],
    baseEnv: { ...process.env, ...opts.env },
    cwd: process.cwd(),
    guard,
    logger,
    logSink: (l) => {
      lines.push(l);
    },
    clock: systemClock,
    failureGraceMs: 1000,
  });
  void pod.done.then(() => {
    allocator.release(ports);
  });
  const stopping = new Recorder<DrainCause>();
  pod.on('stopping', (c) => {
    stopping.push(c);
  });
  return { pod, lines, stopping };
}

function lineMatching(lines: Recorder<PodLogLine>, re: RegExp, what: string): Promise<PodLogLine> {
  return lines
    .until((ls) => ls.some((l) => re.test(l.line)), what)
    .then((ls) => ls.find((l) => re.test(l.line)) ?? Promise.reject(new Error(what)));
}

function get(address: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    request({ host, port: Number(port), path: '/', headers: { 'K-Network-Probe': 'queue' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        resolve(body);
      });
    })
      .on('error', reject)
      .end();
  });
}

describe('Pod', () => {
  it('starts the user process with PORT and the K_ variables, and the queue-proxy with USER_PORT', async () => {
    const { pod, lines } = await newPod({ containerEnv: [{ name: 'GREETING', value: 'hi' }] });
    const started = new Promise<string>((r) => pod.once('started', r));
    pod.start();
    expect(await started).toBe(`127.0.0.1:${pod.ports.queue}`);
    expect(pod.state.phase).toBe('running');

    const app = await lineMatching(lines, /^app: listening /, 'app listening');
    expect(app.container).toBe('user-container');
    expect(JSON.parse(app.line.slice('app: listening '.length))).toEqual({
      PORT: String(pod.ports.user),
      K_REVISION: 'hello-00001',
      K_SERVICE: 'hello',
      K_CONFIGURATION: 'hello-cfg',
      GREETING: 'hi',
      cwd: fx.dir,
    });
    const qp = await lineMatching(lines, /^fake-qp: listening /, 'queue-proxy listening');
    expect(qp.container).toBe('queue-proxy');
    expect(qp.line).toBe(`fake-qp: listening ${pod.ports.queue} user=${pod.ports.user} pod=hello-00001-1`);
    expect(await get(pod.address)).toBe('queue');

    const pids = pod.pids;
    const final = await pod.stop();
    expect(final).toMatchObject({
      phase: 'stopped',
      ends: { user: { kind: 'exit', code: 0 }, queueProxy: { kind: 'exit', code: 0 } },
    });
    expect(isDead(pids.user ?? 0) && isDead(pids.queueProxy ?? 0)).toBe(true);
  });

  it('drains the queue-proxy first; the user process gets SIGTERM only after it exited', async () => {
    const { pod, lines, stopping } = await newPod({
      env: { FAKE_QP_DRAIN_MS: '300', FAKE_QP_MARKER_DIR: fx.dir },
    });
    pod.start();
    await lineMatching(lines, /^app: listening /, 'app listening');
    await lineMatching(lines, /^fake-qp: listening /, 'queue-proxy listening');
    const t0 = performance.now();
    const done = pod.stop();
    expect(pod.state.phase).toBe('draining');
    expect(stopping.items).toEqual([{ kind: 'stop' }]);
    const sigterm = await lineMatching(lines, /^app: SIGTERM/, 'app SIGTERM');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    // The app looked for the queue-proxy's exit marker when SIGTERM arrived: it was already there.
    expect(sigterm.line).toBe('app: SIGTERM qpExited=true');
    expect((await done).phase).toBe('stopped');
  });

  it('SIGKILLs both processes when the grace period ends before the drain does', async () => {
    const { pod, lines } = await newPod({ env: { FAKE_QP_DRAIN_MS: '60000' } });
    pod.start();
    await lineMatching(lines, /^fake-qp: listening /, 'queue-proxy listening');
    const final = await pod.stop({ graceMs: 300 });
    expect(final).toMatchObject({
      phase: 'stopped',
      ends: { user: { signal: 'SIGKILL' }, queueProxy: { signal: 'SIGKILL' } },
    });
    expect(entries.items.some((e) => e.msg === 'grace period over: pod killed')).toBe(true);
    // The user process never saw SIGTERM: the queue-proxy had not finished draining.
    expect(lines.items.some((l) => l.line.startsWith('app: SIGTERM'))).toBe(false);
  });

  it('fails the pod and stops the user process when the queue-proxy dies', async () => {
    const { pod, lines, stopping } = await newPod();
    pod.start();
    // The app must have installed its SIGTERM handler, or SIGTERM's default action would end it instead.
    await lineMatching(lines, /^app: listening /, 'app listening');
    await lineMatching(lines, /^fake-qp: listening /, 'queue-proxy listening');
    process.kill(pod.pids.queueProxy ?? 0, 'SIGKILL');
    const final = await pod.done;
    expect(final).toMatchObject({
      phase: 'failed',
      failure: { container: 'queue-proxy', end: { kind: 'exit', signal: 'SIGKILL' } },
      ends: { user: { kind: 'exit', code: 0 } },
    });
    expect(final.phase === 'failed' && final.failure.message).toMatch(/^queue-proxy was killed by SIGKILL after \d+ ms$/);
    expect(stopping.items).toMatchObject([{ kind: 'failure', failure: { container: 'queue-proxy' } }]);
    expect(
      entries.items.some(
        (e) => e.level === 'error' && e.msg.startsWith('queue-proxy was killed by SIGKILL') && 'signal' in e.obj,
      ),
    ).toBe(true);
  });

  it('never spawns anything when stopped before start', async () => {
    const { pod } = await newPod();
    const final = await pod.stop();
    expect(final).toMatchObject({ phase: 'stopped', ends: {} });
    pod.start();
    expect(pod.pids).toEqual({});
  });
});
