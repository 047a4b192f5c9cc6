import { afterEach, describe, expect, it } from 'vitest';
import { KubeApiError, KubeClient } from './client.js';
import { Informer } from './informer.js';
import type { KubeObject } from './informer.js';
import { FakeKubeApi } from './testing/fake-api-server.js';

const REVISIONS = '/apis/serving.knative.dev/v1/revisions';
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rev extends KubeObject {
  readonly spec?: { containerConcurrency?: number };
}

async function setup(opts: { token?: string; labelSelector?: string } = {}): Promise<{
  api: FakeKubeApi;
  informer: Informer<Rev>;
  log: string[];
  errors: Error[];
  next: (pred: (line: string) => boolean) => Promise<void>;
}> {
  const api = new FakeKubeApi(opts.token === undefined ? {} : { token: opts.token });
  await api.listen();
  const client = new KubeClient({ server: api.url, insecureSkipTlsVerify: false, source: 'kubeconfig', token: opts.token ?? 't' });
  const log: string[] = [];
  const errors: Error[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: () => void }[] = [];
  const push = (line: string): void => {
    log.push(line);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (w.pred(line)) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };
  const informer = new Informer<Rev>({
    client,
    path: REVISIONS,
    ...(opts.labelSelector === undefined ? {} : { labelSelector: opts.labelSelector }),
    logger: silent,
    initialBackoffMs: 10,
    maxBackoffMs: 50,
    onError: (e) => {
      errors.push(e);
      push(`error ${e instanceof KubeApiError ? String(e.status) : e.message}`);
    },
    handlers: {
      added: (o) => push(`added ${o.metadata.name} cc=${String(o.spec?.containerConcurrency)}`),
      updated: (o) => push(`updated ${o.metadata.name} cc=${String(o.spec?.containerConcurrency)}`),
      deleted: (o) => push(`deleted ${o.metadata.name}`),
    },
  });
  cleanups.push(async () => {
    informer.stop();
    client.close();
    await api.close();
  });
  const next = (pred: (line: string) => boolean): Promise<void> => {
    if (log.some(pred)) return Promise.resolve();
    return new Promise((resolve) => waiters.push({ pred, resolve }));
  };
  return { api, informer, log, errors, next };
}

function rev(name: string, cc: number, labels: Record<string, string> = {}): { metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: { containerConcurrency: number } } {
  return { metadata: { name, namespace: 'ns', labels }, spec: { containerConcurrency: cc } };
}

async function watchOpen(api: FakeKubeApi, n = 1): Promise<void> {
  for (let i = 0; i < 500 && api.watchCount(REVISIONS) < n; i++) await new Promise((r) => setImmediate(r));
  expect(api.watchCount(REVISIONS)).toBeGreaterThanOrEqual(n);
}

describe('Informer', () => {
  it('lists, then watches from the list version with the bearer token; events arrive in order', async () => {
    const { api, informer, log, next } = await setup({ token: 'sekrit' });
    api.apply(REVISIONS, rev('a', 1));
    await informer.start();
    expect(log).toEqual(['added a cc=1']);
    await watchOpen(api);
    const watchReq = api.requests.find((r) => r.query.get('watch') === '1');
    expect(watchReq?.authorization).toBe('Bearer sekrit');
    expect(watchReq?.query.get('resourceVersion')).toBe(informer.resourceVersion);
    api.apply(REVISIONS, rev('b', 2));
    api.apply(REVISIONS, rev('a', 3));
    api.delete(REVISIONS, 'ns', 'b');
    await next((l) => l === 'deleted b');
    expect(log).toEqual(['added a cc=1', 'added b cc=2', 'updated a cc=3', 'deleted b']);
    expect(informer.get('ns', 'a')?.spec?.containerConcurrency).toBe(3);
    expect(informer.lists).toBe(1);
  });

  it('resumes a dropped watch from the last version: changes made while disconnected are delivered, none twice', async () => {
    const { api, informer, log, next } = await setup();
    await informer.start();
    await watchOpen(api);
    api.apply(REVISIONS, rev('a', 1));
    await next((l) => l === 'added a cc=1');
    api.dropWatches();
    api.apply(REVISIONS, rev('b', 1)); // while no watch is open
    api.delete(REVISIONS, 'ns', 'a');
    await next((l) => l === 'deleted a');
    expect(log.filter((l) => !l.startsWith('error'))).toEqual(['added a cc=1', 'added b cc=1', 'deleted a']);
    expect(log.filter((l) => l.startsWith('error'))[0]).toMatch(/connection dropped/);
    expect(informer.lists).toBe(1); // resumed, not re-listed
    expect(informer.watches).toBeGreaterThanOrEqual(2);
  });

  it('re-opens a watch the server ended cleanly, at once and from the last version', async () => {
    const { api, informer, log, next, errors } = await setup();
    await informer.start();
    await watchOpen(api);
    api.endWatches();
    api.apply(REVISIONS, rev('c', 0));
    await next((l) => l === 'added c cc=0');
    expect(log).toEqual(['added c cc=0']);
    expect(errors).toEqual([]);
  });

  it('re-lists on 410 Gone and diffs the list against the store, so a delete during the gap is not lost', async () => {
    const { api, informer, log, next } = await setup();
    api.apply(REVISIONS, rev('a', 1));
    api.apply(REVISIONS, rev('b', 1));
    await informer.start();
    await watchOpen(api);
    api.dropWatches();
    api.delete(REVISIONS, 'ns', 'a');
    api.apply(REVISIONS, rev('b', 5));
    api.apply(REVISIONS, rev('d', 1));
    api.compact(); // the resume version is now too old
    await next((l) => l === 'deleted a');
    await next((l) => l === 'added d cc=1');
    expect(log.slice(2).filter((l) => !l.startsWith('error')).sort()).toEqual(['added d cc=1', 'deleted a', 'updated b cc=5']);
    expect(informer.lists).toBe(2);
    await watchOpen(api);
    api.apply(REVISIONS, rev('e', 1));
    await next((l) => l === 'added e cc=1');
  });

  it('reports 403 and keeps retrying the list with backoff until the permission appears', async () => {
    const { api, informer, errors, next } = await setup();
    api.forbid(REVISIONS);
    api.apply(REVISIONS, rev('a', 1));
    const synced = informer.start();
    await next((l) => l === 'error 403');
    await next((l) => l === 'error 403' && errors.length >= 2);
    expect(errors[0]).toBeInstanceOf(KubeApiError);
    expect((errors[0] as KubeApiError).reason).toBe('Forbidden');
    expect(informer.synced).toBe(false);
    api.allow(REVISIONS);
    await synced;
    await next((l) => l === 'added a cc=1');
  });

  it('filters by label selector on list and watch', async () => {
    const { api, informer, log, next } = await setup({ labelSelector: 'networking.internal.knative.dev/serviceType' });
    api.apply(REVISIONS, rev('in', 1, { 'networking.internal.knative.dev/serviceType': 'Private' }));
    api.apply(REVISIONS, rev('out', 1));
    await informer.start();
    await watchOpen(api);
    api.apply(REVISIONS, rev('out2', 1));
    api.apply(REVISIONS, rev('in2', 1, { 'networking.internal.knative.dev/serviceType': 'Public' }));
    await next((l) => l === 'added in2 cc=1');
    expect(log).toEqual(['added in cc=1', 'added in2 cc=1']);
  });

  it('observe() applies an object fetched out of band once; the later watch event for the same version is an update no-op', async () => {
    const { api, informer, log, next } = await setup();
    await informer.start();
    await watchOpen(api);
    const stored = api.apply(REVISIONS, rev('x', 2));
    informer.observe(stored);
    informer.observe(stored);
    api.apply(REVISIONS, rev('y', 1));
    await next((l) => l === 'added y cc=1');
    expect(log).toEqual(['added x cc=2', 'added y cc=1']);
  });
});
