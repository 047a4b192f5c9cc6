import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApi } from './api.js';
import { Reconciler } from './reconciler.js';
import { Store } from './store.js';
import { FakeControlPlane } from './testing/fake-control-plane.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function setup(): { app: FastifyInstance; cp: FakeControlPlane } {
  const cp = new FakeControlPlane();
  const r = new Reconciler({ store: Store.memory(), controlPlane: cp });
  r.start();
  const app = buildApi(r, { token: TOKEN });
  apps.push(app);
  return { app, cp };
}

const TOKEN = 'test-token';
/** What the kdp CLI sends: the local credential (api-guard.test.ts covers requests without it). */
function inject(app: FastifyInstance, o: InjectOptions): Promise<LightMyRequestResponse> {
  return app.inject({ ...o, headers: { authorization: `Bearer ${TOKEN}`, ...o.headers } });
}

const base = '/apis/serving.knative.dev/v1';
const hello = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name: 'hello' },
  spec: { template: { spec: { containers: [{ command: ['node', 'app.js'] }] } } },
};

describe('control API', () => {
  it('serves /healthz', async () => {
    const { app } = setup();
    const res = await inject(app, { method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('ok');
  });

  it('creates, reads, lists, replaces and deletes services in Knative shapes', async () => {
    const { app, cp } = setup();
    const created = await inject(app, { method: 'POST', url: `${base}/namespaces/default/services`, payload: hello });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ kind: 'Service', metadata: { name: 'hello', namespace: 'default', generation: 1 } });
    cp.ready('default/hello-00001');

    const got = await inject(app, { method: 'GET', url: `${base}/namespaces/default/services/hello` });
    expect(got.json()).toMatchObject({ status: { url: 'http://hello.default.localhost:8080', latestReadyRevisionName: 'hello-00001' } });
    const list = await inject(app, { method: 'GET', url: `${base}/services` });
    expect(list.json()).toMatchObject({ kind: 'ServiceList', items: [{ metadata: { name: 'hello' } }] });
    const revs = await inject(app, { method: 'GET', url: `${base}/namespaces/default/revisions?labelSelector=serving.knative.dev/service%3Dhello` });
    expect(revs.json()).toMatchObject({ kind: 'RevisionList', items: [{ metadata: { name: 'hello-00001' }, status: { actualReplicas: 1 } }] });
    const routes = await inject(app, { method: 'GET', url: `${base}/namespaces/default/routes` });
    expect(routes.json()).toMatchObject({ kind: 'RouteList', items: [{ status: { traffic: [{ revisionName: 'hello-00001', percent: 100 }] } }] });
    const cfg = await inject(app, { method: 'GET', url: `${base}/namespaces/default/configurations/hello` });
    expect(cfg.json()).toMatchObject({ kind: 'Configuration', metadata: { generation: 1 } });

    const put = await inject(app, { method: 'PUT', url: `${base}/namespaces/default/services/hello`, payload: { ...hello, spec: { ...hello.spec, traffic: [{ latestRevision: true, percent: 100, tag: 'x' }] } } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ metadata: { generation: 2 } });

    const del = await inject(app, { method: 'DELETE', url: `${base}/namespaces/default/services/hello` });
    expect(del.json()).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'hello', kind: 'services' } });
    expect(cp.removed).toEqual(['default/hello-00001']);
  });

  it.each([
    ['GET', '/services/nope', undefined, 404, 'NotFound', 'services.serving.knative.dev "nope" not found'],
    ['GET', '/revisions/nope', undefined, 404, 'NotFound', 'revisions.serving.knative.dev "nope" not found'],
    ['DELETE', '/services/nope', undefined, 404, 'NotFound', 'services.serving.knative.dev "nope" not found'],
    ['PUT', '/services/other', hello, 400, 'BadRequest', 'does not match the name in the path'],
    ['POST', '/services', { ...hello, spec: { ...hello.spec, traffic: [{ percent: 50 }] } }, 400, 'BadRequest', 'validation failed: Traffic targets sum to 50, want 100: spec.traffic'],
    ['POST', '/services', 'not json', 400, 'BadRequest', ''],
    ['GET', '/services?labelSelector=%3D%3D', undefined, 400, 'BadRequest', 'unable to parse requirement'],
  ])('%s %s → %d %s', async (method, path, payload, code, reason, message) => {
    const { app } = setup();
    const res = await inject(app, {
      method: method,
      url: `${base}/namespaces/default${path}`,
      ...(payload !== undefined && typeof payload === 'string' ? { payload, headers: { 'content-type': 'application/json' } } : payload !== undefined ? { payload } : {}),
    });
    expect(res.statusCode).toBe(code);
    expect(res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason, code });
    expect(res.json<{ message: string }>().message).toContain(message);
  });

  it('answers a conflicting create with 409 AlreadyExists', async () => {
    const { app } = setup();
    await inject(app, { method: 'POST', url: `${base}/namespaces/default/services`, payload: hello });
    const res = await inject(app, { method: 'POST', url: `${base}/namespaces/default/services`, payload: hello });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ reason: 'AlreadyExists', message: 'services.serving.knative.dev "hello" already exists' });
  });

  it('answers unknown paths and bad namespaces with Status bodies', async () => {
    const { app } = setup();
    const res = await inject(app, { method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ kind: 'Status', reason: 'NotFound' });
    const bad = await inject(app, { method: 'GET', url: `${base}/namespaces/Bad_NS/services` });
    expect(bad.statusCode).toBe(400);
  });
});
