/**
 * The control plane's bookkeeping on a real router socket, without pods: every revision here starts at zero
 * (initial-scale 0) and gets no request that would start one. Pods end to end: test/scale-from-zero.test.ts.
 */
import http from 'node:http';
import { AutoscalingValidationError } from '@kdp/autoscaler';
import { createLogger } from '@kdp/core';
import { RouteTableError } from '@kdp/router';
import { makeRevision } from '@kdp/runtime';
import type { RevisionInput } from '@kdp/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlPlane } from './control-plane-api.js';
import { startControlPlane } from './control-plane.js';

const open: ControlPlane[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((cp) => cp.stop()));
});

async function start(): Promise<ControlPlane> {
  const cp = await startControlPlane({
    routerPort: 0,
    logger: createLogger({ name: 'kdp-test', level: 'silent' }),
    autoscaler: { allowZeroInitialScale: true },
  });
  open.push(cp);
  return cp;
}

function revision(over: Partial<RevisionInput> = {}) {
  return makeRevision({
    name: 'hello-00001',
    service: 'hello',
    container: { command: ['does-not-matter'] },
    annotations: { 'autoscaling.knative.dev/initial-scale': '0' },
    ...over,
  });
}

function get(cp: ControlPlane, host: string): Promise<{ status: number; body: string; error: string | undefined }> {
  const url = new URL(cp.routerUrl);
  return new Promise((resolve, reject) => {
    http
      .get({ host: url.hostname, port: Number(url.port), path: '/', headers: { host }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          const e = res.headers['x-kdp-error'];
          resolve({ status: res.statusCode ?? 0, body, error: typeof e === 'string' ? e : undefined });
        });
      })
      .on('error', reject);
  });
}

describe('startControlPlane', () => {
  it('listens on 127.0.0.1 and reports its router URL and domain', async () => {
    const cp = await start();
    expect(cp.routerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cp.domain).toBe('localhost');
  });

  it('adds a revision at its initial scale; an identical snapshot again is a no-op, a different one throws', async () => {
    const cp = await start();
    const scaled: [string, number][] = [];
    cp.events.on('scaled', (k, d) => scaled.push([k, d]));
    cp.addRevision(revision());
    cp.addRevision(revision());
    expect(() => cp.addRevision(revision({ containerConcurrency: 1 }))).toThrow(/immutable/);
    expect(scaled).toEqual([['default/hello-00001', 0]]);
    expect(cp.revisionStatus('default/hello-00001')).toMatchObject({
      key: 'default/hello-00001',
      everReady: false,
      readyPods: 0,
      actualPods: 0,
      desiredPods: 0,
      failure: null,
      pods: [],
      routingState: 'pending',
    });
    expect(cp.revisionStatus('default/nope')).toBeUndefined();
  });

  it('refuses invalid autoscaling annotations with Knative messages and keeps nothing of the revision', async () => {
    const cp = await start();
    const bad = revision({ annotations: { 'autoscaling.knative.dev/window': '2s', 'autoscaling.knative.dev/max-scale': 'x' } });
    expect(() => cp.addRevision(bad)).toThrow(AutoscalingValidationError);
    expect(cp.revisionStatus('default/hello-00001')).toBeUndefined();
    // Nothing half-registered: the valid snapshot can be added afterwards.
    cp.addRevision(revision());
    expect(cp.revisionStatus('default/hello-00001')).toBeDefined();
  });

  it('swaps routes atomically and keeps the old table when the new one is invalid', async () => {
    const cp = await start();
    cp.setRoutes([{ namespace: 'default', name: 'hello', split: [{ revisionName: 'gone-00001', percent: 100 }] }]);
    // Routed, but the revision is unknown to the activator: its 404, not the router's.
    expect(await get(cp, 'hello.default.localhost')).toMatchObject({
      status: 404,
      error: 'not-found',
      body: 'Error getting active endpoint: revision.serving.knative.dev "gone-00001" not found\n',
    });
    expect(() =>
      cp.setRoutes([{ namespace: 'default', name: 'hello', split: [{ revisionName: 'gone-00001', percent: 50 }] }]),
    ).toThrow(RouteTableError);
    expect((await get(cp, 'hello.default.localhost')).body).toMatch(/^Error getting active endpoint/);
    expect(await get(cp, 'other.default.localhost')).toMatchObject({
      status: 404,
      error: 'not-found',
      body: 'no route for host "other.default.localhost"\n',
    });
  });

  it('tracks the routing state: pending until routed, active while routed, reserve once dropped', async () => {
    const cp = await start();
    cp.addRevision(revision());
    const state = (): string | undefined => cp.revisionStatus('default/hello-00001')?.routingState;
    expect(state()).toBe('pending');
    const toHello = { namespace: 'default', name: 'hello', split: [{ revisionName: 'hello-00001', percent: 100 }] };
    cp.setRoutes([toHello]);
    expect(state()).toBe('active');
    cp.setRoutes([]);
    expect(state()).toBe('reserve');
    cp.setRoutes([toHello]);
    expect(state()).toBe('active');
    // A revision added while a route already names it starts active.
    cp.addRevision(revision({ name: 'hello-00002' }));
    cp.setRoutes([toHello, { namespace: 'default', name: 'two', split: [{ revisionName: 'hello-00002', percent: 100 }] }]);
    cp.addRevision(revision({ name: 'hello-00003' }));
    expect(cp.revisionStatus('default/hello-00002')?.routingState).toBe('active');
    expect(cp.revisionStatus('default/hello-00003')?.routingState).toBe('pending');
  });

  it('removes a revision (idempotently) so its status is gone and it can be added again', async () => {
    const cp = await start();
    cp.addRevision(revision());
    await Promise.all([cp.removeRevision('default/hello-00001'), cp.removeRevision('default/hello-00001')]);
    expect(cp.revisionStatus('default/hello-00001')).toBeUndefined();
    await cp.removeRevision('default/hello-00001');
    cp.addRevision(revision({ containerConcurrency: 2 }));
    expect(cp.revisionStatus('default/hello-00001')).toBeDefined();
  });

  it('reports a revision whose pods cannot start: revisionFailed event and status failure', async () => {
    const cp = await start();
    const failed = new Promise<[string, string, string]>((resolve) => {
      cp.events.once('revisionFailed', (...args) => resolve(args));
    });
    // No initial-scale annotation: Knative's initial scale 1 starts a pod at once.
    cp.addRevision(revision({ annotations: {}, container: { command: ['kdp-no-such-command-0b7f'] } }));
    const [key, reason, message] = await failed;
    expect(key).toBe('default/hello-00001');
    expect(reason).toBe('SpawnFailed');
    expect(message).toMatch(/kdp-no-such-command-0b7f/);
    expect(cp.revisionStatus(key)).toMatchObject({ everReady: false, desiredPods: 1, failure: { reason, message } });
  });

  it('stops once: the router refuses connections and changes are refused', async () => {
    const cp = await start();
    await Promise.all([cp.stop(), cp.stop()]);
    await expect(get(cp, 'hello.default.localhost')).rejects.toThrow(/ECONNREFUSED/);
    expect(() => cp.addRevision(revision())).toThrow(/stopped/);
    expect(() => cp.setRoutes([])).toThrow(/stopped/);
  });
});
