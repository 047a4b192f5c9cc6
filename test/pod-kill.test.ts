/**
 * The pod-kill drill (issue 9): 20 clients loop on a revision with two pods, one pod's user process gets SIGKILL,
 * and no request that never reached an app may fail. Such a request is one whose connection to the pod's
 * queue-proxy was refused, or which the queue-proxy could not deliver to its app (`502`, `X-Kdp-Error:
 * upstream-unreachable`, `dial tcp …`): the activator sends it once to the other pod and takes the dead one out of
 * load balancing at once. Requests that were inside the app when it died may fail; they are counted and printed.
 *
 * Once with HTTP/1.1 clients (the byte-level fast path, `packages/core/src/http1/upstream-leg.ts` `offerElsewhere`) and
 * once with HTTP/1.0 ones (served by the node:http fallback engine): both engines implement the failover hook
 * (`Upstream.onUnreachable`).
 *
 * Bounded: at most 15 s of load (about 3 s on an idle machine), and the test ends by stopping the control plane (no process survives).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revisionKey } from '@kdp/runtime';
import { nextEvent, nodeRevision, startTestControlPlane, until, writeFixtures } from './helpers/control-plane.js';
import type { Fixtures, TestControlPlane } from './helpers/control-plane.js';

let fx: Fixtures;
let t: TestControlPlane;

beforeAll(async () => {
  fx = writeFixtures();
  t = await startTestControlPlane();
});

afterAll(async () => {
  await t.cp.stop();
  fx.remove();
});

interface Answer {
  readonly status: number;
  readonly pod: string;
  readonly body: string;
  readonly sentMs: number;
}

/** One GET on its own connection (status 0: the connection failed or closed without an answer). */
function getOnce(port: number, host: string, version: '1.1' | '1.0'): Promise<Answer> {
  const sentMs = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET /?sleep=2 HTTP/${version}\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      const pod = /\r\nx-pod: (\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? '';
      resolve({ status, pod, body: headEnd === -1 ? '' : text.slice(headEnd + 4), sentMs });
    });
  });
}

describe('a pod dies under load', () => {
  it.each(['1.1', '1.0'] as const)('HTTP/%s: kill -9 of one of two pods: 0 failed requests among those that reached no app', { timeout: 60_000 }, async (version) => {
    const svc = `kill${version.replace('.', '')}`;
    const rev = nodeRevision(`${svc}-00001`, fx.concurrencyApp, {
      annotations: { 'autoscaling.knative.dev/min-scale': '2', 'autoscaling.knative.dev/initial-scale': '2' },
    });
    const key = revisionKey(rev);
    const host = `${svc}.default.${t.cp.domain}`;
    const ready = nextEvent(t.cp.events, 'revisionReady', (k) => k === key);
    t.cp.addRevision(rev);
    t.cp.setRoutes([{ namespace: 'default', name: svc, split: [{ revisionName: rev.name, percent: 100 }] }]);
    await ready;
    await until('two ready pods', () => t.cp.revisionStatus(key)?.readyPods === 2, 20_000);
    const victimPod = t.cp.revisionStatus(key)?.pods.find((p) => p.ready);
    const victim = victimPod?.pids.user;
    expect(victim).toBeGreaterThan(0);

    const answers: Answer[] = [];
    let killedAtMs = Infinity;
    let stop = false;
    const deadline = performance.now() + 15_000;
    const loops = Array.from({ length: 20 }, async () => {
      while (!stop && performance.now() < deadline) answers.push(await getOnce(t.port, host, version));
    });
    await until('200 answers before the kill', () => answers.length >= 200, 15_000, 5);
    const beforeKill = answers.length;
    process.kill(victim ?? 0, 'SIGKILL');
    killedAtMs = performance.now();
    await until('400 answers after the kill', () => answers.length >= beforeKill + 400, 15_000, 5);
    stop = true;
    await Promise.all(loops);

    const failed = answers.filter((a) => a.status !== 200);
    // Never reached an app: the activator's own 502 for a refused connection, or the queue-proxy's dial error relayed.
    const reachedNoApp = failed.filter((a) => a.status === 502 && a.body.startsWith('dial tcp '));
    const fromVictimBefore = answers.filter((a) => a.pod === String(victim) && a.sentMs < killedAtMs).length;
    const after = answers.filter((a) => a.sentMs > killedAtMs);
    console.log(
      `pod-kill drill, HTTP/${version}: ${String(answers.length)} requests, ${String(fromVictimBefore)} served by the victim before the kill, ` +
        `${String(after.length)} sent after it (victim's queue-proxy ${victimPod?.address ?? ''}); failed ${String(failed.length)} (reached no app: ${String(reachedNoApp.length)}; ` +
        `others: ${JSON.stringify(failed.slice(0, 5).map((a) => `${String(a.status)} ${a.body.slice(0, 60)}`))})`,
    );
    expect(fromVictimBefore).toBeGreaterThan(0);
    expect(reachedNoApp).toEqual([]);
    // Everything sent after the kill was answered by the survivor.
    expect(after.filter((a) => a.status === 200).every((a) => a.pod !== String(victim))).toBe(true);
    // At most the requests in flight inside the victim at the kill (20 clients) can have failed.
    expect(failed.length).toBeLessThanOrEqual(20);
  });
});
