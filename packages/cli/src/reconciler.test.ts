import { describe, expect, it } from 'vitest';
import { ApiError } from './api-errors.js';
import { getCondition } from './objects/conditions.js';
import { InvalidObjectError } from './objects/service-input.js';
import type { Service, TrafficTarget } from './objects/types.js';
import { Reconciler } from './reconciler.js';
import { Store } from './store.js';
import { FakeControlPlane } from './testing/fake-control-plane.js';
import { tempDirs } from './testing/temp-dirs.js';

const tmp = tempDirs('kdp-reconciler-');

function body(name: string, o: { target?: string; revisionName?: string; traffic?: TrafficTarget[]; cmd?: string[] } = {}): unknown {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name },
    spec: {
      template: {
        metadata: o.revisionName === undefined ? {} : { name: o.revisionName },
        spec: { containers: [{ command: o.cmd ?? ['node', 'app.js'], env: [{ name: 'TARGET', value: o.target ?? 'World' }] }] },
      },
      ...(o.traffic !== undefined && { traffic: o.traffic }),
    },
  };
}

let clock = Date.parse('2026-01-01T00:00:00Z');
function setup(store = Store.memory()): { r: Reconciler; cp: FakeControlPlane; store: Store } {
  const cp = new FakeControlPlane();
  let n = 0;
  const r = new Reconciler({ store, controlPlane: cp, now: () => (clock += 1000), uid: () => `uid-${++n}` });
  r.start();
  return { r, cp, store };
}

function ready(svc: Service): string {
  const c = getCondition(svc.status.conditions, 'Ready');
  return `${c?.status ?? '?'}${c?.reason === undefined ? '' : ` ${c.reason}`}`;
}

async function rejected(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InvalidObjectError) return err.issues.map((i) => `${i.message}: ${i.paths.join(', ')}`).join('\n');
    if (err instanceof ApiError) return `${err.status} ${err.message}`;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('Reconciler', () => {
  it('creates Configuration, Revision and Route; routes the revision only once it is ready', async () => {
    const { r, cp } = setup();
    const created = await r.createService('default', body('hello'));
    expect(created.status.latestCreatedRevisionName).toBe('hello-00001');
    expect(ready(created)).toBe('Unknown OutOfDate');
    expect(cp.added).toEqual(['default/hello-00001']);
    const rev = cp.revisions.get('default/hello-00001');
    expect(rev?.service).toBe('hello');
    expect(rev?.configuration).toBe('hello');
    expect(rev?.container.env).toEqual([{ name: 'TARGET', value: 'World' }]);
    expect(cp.split('default', 'hello')).toEqual([]);

    cp.ready('default/hello-00001');
    const svc = r.getService('default', 'hello');
    expect(ready(svc)).toBe('True');
    expect(svc.status.latestReadyRevisionName).toBe('hello-00001');
    expect(svc.status.url).toBe('http://hello.default.localhost:8080');
    expect(svc.status.traffic).toEqual([{ revisionName: 'hello-00001', latestRevision: true, percent: 100 }]);
    expect(cp.split('default', 'hello')).toEqual(['hello-00001=100']);
    expect(r.getConfiguration('default', 'hello').status.latestReadyRevisionName).toBe('hello-00001');
    expect(getCondition(r.getRoute('default', 'hello').status.conditions, 'AllTrafficAssigned')?.status).toBe('True');
  });

  it('names a revision after the template (kn --revision-name) and refuses one without the service prefix', async () => {
    const { r, cp } = setup();
    await r.createService('default', body('hello', { revisionName: 'hello-world' }));
    expect(cp.added).toEqual(['default/hello-world']);
    expect(await rejected(r.createService('default', body('other', { revisionName: 'world' })))).toBe(
      'invalid value: "world" must have prefix "other-": spec.template.metadata.name',
    );
  });

  it('keeps @latest on the ready revision until the new one is ready, then moves it', async () => {
    const { r, cp } = setup();
    await r.createService('default', body('hello', { revisionName: 'hello-world' }));
    cp.ready('default/hello-world');
    const cur = r.getService('default', 'hello');
    await r.replaceService('default', 'hello', { ...(body('hello', { target: 'Knative', revisionName: 'hello-knative' }) as object), metadata: { name: 'hello', resourceVersion: cur.metadata.resourceVersion } });
    let svc = r.getService('default', 'hello');
    expect(svc.metadata.generation).toBe(2);
    expect(svc.status.latestCreatedRevisionName).toBe('hello-knative');
    expect(svc.status.latestReadyRevisionName).toBe('hello-world');
    expect(ready(svc)).toBe('Unknown OutOfDate');
    expect(getCondition(svc.status.conditions, 'RoutesReady')?.reason).toBe('TrafficNotMigrated');
    expect(cp.split('default', 'hello')).toEqual(['hello-world=100']);

    cp.ready('default/hello-knative');
    svc = r.getService('default', 'hello');
    expect(ready(svc)).toBe('True');
    expect(cp.split('default', 'hello')).toEqual(['hello-knative=100']);
  });

  it('generates hello-00002 for a changed template without a name; a traffic-only change makes no revision', async () => {
    const { r, cp } = setup();
    await r.createService('default', body('hello'));
    cp.ready('default/hello-00001');
    await r.replaceService('default', 'hello', body('hello', { target: 'Knative' }));
    expect(cp.added).toEqual(['default/hello-00001', 'default/hello-00002']);
    cp.ready('default/hello-00002');
    await r.replaceService('default', 'hello', body('hello', {
      target: 'Knative',
      traffic: [
        { revisionName: 'hello-00001', percent: 50 },
        { latestRevision: true, percent: 50 },
      ],
    }));
    expect(cp.added).toHaveLength(2);
    expect(r.getConfiguration('default', 'hello').metadata.generation).toBe(2);
    expect(r.getService('default', 'hello').metadata.generation).toBe(3);
    expect(cp.split('default', 'hello')).toEqual(['hello-00001=50', 'hello-00002=50']);
  });

  it('a revision that fails gets Ready=False with the reason and never takes traffic', async () => {
    const { r, cp } = setup();
    await r.createService('default', body('hello', { revisionName: 'hello-world' }));
    cp.ready('default/hello-world');
    await r.replaceService('default', 'hello', body('hello', { revisionName: 'hello-bad', cmd: ['nope'] }));
    cp.fail('default/hello-bad', 'SpawnFailed', 'command "nope" not found');
    const svc = r.getService('default', 'hello');
    expect(ready(svc)).toBe('False RevisionFailed');
    expect(getCondition(svc.status.conditions, 'Ready')?.message).toBe(
      'Revision "hello-bad" failed with message: command "nope" not found.',
    );
    const rev = r.getRevision('default', 'hello-bad');
    expect(getCondition(rev.status.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'SpawnFailed' });
    expect(cp.split('default', 'hello')).toEqual(['hello-world=100']);
    // Pinning the failed revision is refused.
    expect(await rejected(r.replaceService('default', 'hello', body('hello', {
      revisionName: 'hello-bad',
      cmd: ['nope'],
      traffic: [{ revisionName: 'hello-bad', percent: 100 }],
    })))).toBe('Revision "hello-bad" failed to become ready: spec.traffic[0].revisionName');
  });

  it('stops a latest revision that is replaced before it ever became ready', async () => {
    const { r, cp } = setup();
    await r.createService('default', body('hello', { cmd: ['nope'] }));
    cp.fail('default/hello-00001', 'SpawnFailed', 'not found');
    await r.replaceService('default', 'hello', body('hello'));
    expect(cp.removed).toEqual(['default/hello-00001']);
    cp.ready('default/hello-00002');
    expect(ready(r.getService('default', 'hello'))).toBe('True');
  });

  it('a failed first revision leaves the route without traffic and the service False', async () => {
    const { r, cp } = setup();
    await r.createService('default', body('hello'));
    cp.fail('default/hello-00001', 'ExitCode1', 'user-container exited with code 1');
    expect(ready(r.getService('default', 'hello'))).toBe('False RevisionFailed');
    expect(cp.split('default', 'hello')).toEqual([]);
  });

  it.each([
    [[{ latestRevision: true, percent: 90 }], 'Traffic targets sum to 90, want 100: spec.traffic'],
    [
      [
        { latestRevision: true, percent: 50 },
        { revisionName: 'hello-nope', percent: 50 },
      ],
      'Revision "hello-nope" referenced in traffic not found: spec.traffic[1].revisionName',
    ],
    [
      [
        { latestRevision: true, percent: 100, tag: 'a' },
        { revisionName: 'hello-00001', percent: 0, tag: 'a' },
      ],
      'Multiple definitions for "a": spec.traffic[0].tag, spec.traffic[1].tag',
    ],
    [[{ latestRevision: true, percent: 100, tag: 'Bad_Tag' }], 'invalid value: not a DNS 1035 label'],
  ])('refuses traffic %j', async (traffic, message) => {
    const { r, cp } = setup();
    await r.createService('default', body('hello'));
    cp.ready('default/hello-00001');
    expect(await rejected(r.replaceService('default', 'hello', body('hello', { traffic })))).toContain(message);
    // Nothing changed.
    expect(r.getService('default', 'hello').metadata.generation).toBe(1);
  });

  it('serves tags at their own URL', async () => {
    const { r, cp } = setup();
    await r.createService('default', body('hello'));
    cp.ready('default/hello-00001');
    await r.replaceService('default', 'hello', body('hello', { traffic: [{ latestRevision: true, percent: 100, tag: 'current' }] }));
    const svc = r.getService('default', 'hello');
    expect(svc.status.traffic).toEqual([
      { tag: 'current', revisionName: 'hello-00001', latestRevision: true, percent: 100, url: 'http://current-hello.default.localhost:8080' },
    ]);
    expect(cp.routes?.[0]?.tags).toEqual([{ tag: 'current', revisionName: 'hello-00001' }]);
  });

  it('refuses to change a named template without a new name (Knative VerifyNameChange)', async () => {
    const { r } = setup();
    await r.createService('default', body('hello', { revisionName: 'hello-world' }));
    expect(await rejected(r.replaceService('default', 'hello', body('hello', { revisionName: 'hello-world', target: 'x' })))).toBe(
      'Saw the following changes without a name change (-old +new): spec.template.metadata.name',
    );
  });

  it('refuses a stale resourceVersion, a duplicate create and unknown names', async () => {
    const { r } = setup();
    await r.createService('default', body('hello'));
    expect(await rejected(r.createService('default', body('hello')))).toBe('409 services.serving.knative.dev "hello" already exists');
    expect(await rejected(r.replaceService('default', 'hello', { ...(body('hello', { target: 'x' }) as object), metadata: { name: 'hello', resourceVersion: 'stale' } }))).toContain(
      '409 Operation cannot be fulfilled on services.serving.knative.dev "hello": the object has been modified',
    );
    expect(await rejected(r.replaceService('default', 'nope', body('nope')))).toBe('404 services.serving.knative.dev "nope" not found');
    expect(await rejected(r.deleteRevision('default', 'nope'))).toBe('404 revisions.serving.knative.dev "nope" not found');
  });

  it('refuses to delete a revision that takes traffic or is the latest; deletes others and their pods', async () => {
    const { r, cp } = setup();
    await r.createService('default', body('hello'));
    cp.ready('default/hello-00001');
    await r.replaceService('default', 'hello', body('hello', { target: 'b' }));
    expect(await rejected(r.deleteRevision('default', 'hello-00001'))).toContain('409');
    expect(await rejected(r.deleteRevision('default', 'hello-00002'))).toContain('it is the latest revision');
    cp.ready('default/hello-00002');
    await r.deleteRevision('default', 'hello-00001');
    expect(cp.removed).toEqual(['default/hello-00001']);
    expect(r.listRevisions('default').map((x) => x.metadata.name)).toEqual(['hello-00002']);
  });

  it('deleting a service removes its objects, routes and pods', async () => {
    const { r, cp } = setup();
    await r.createService('default', body('hello'));
    cp.ready('default/hello-00001');
    await r.deleteService('default', 'hello');
    expect(cp.removed).toEqual(['default/hello-00001']);
    expect(cp.routes).toEqual([]);
    expect(r.listServices('default')).toEqual([]);
    expect(r.listRevisions(undefined)).toEqual([]);
    expect(r.listRoutes(undefined)).toEqual([]);
  });

  it('reports live pod counts and the Active condition on revisions', async () => {
    const { r, cp } = setup();
    await r.createService('default', body('hello'));
    expect(r.getRevision('default', 'hello-00001').status.actualReplicas).toBe(1);
    cp.pods.set('default/hello-00001', 0);
    const rev = r.getRevision('default', 'hello-00001');
    expect(rev.status.actualReplicas).toBe(0);
    expect(getCondition(rev.status.conditions, 'Active')).toMatchObject({ status: 'False', reason: 'NoTraffic' });
  });

  it('after a restart re-adds the revisions that serve traffic and sets the routes at once', async () => {
    const dir = await tmp();
    const first = setup(await Store.open(dir));
    await first.r.createService('default', body('hello', { revisionName: 'hello-world' }));
    first.cp.ready('default/hello-world');
    await first.r.replaceService('default', 'hello', body('hello', { revisionName: 'hello-knative', target: 'Knative' }));
    first.cp.ready('default/hello-knative');
    await first.r.replaceService('default', 'hello', body('hello', {
      revisionName: 'hello-knative',
      target: 'Knative',
      traffic: [
        { latestRevision: true, percent: 100 },
        { revisionName: 'hello-world', percent: 0, tag: 'old' },
      ],
    }));
    await first.r.createService('default', body('broken'));
    first.cp.fail('default/broken-00001', 'ExitCode1', 'exited');
    await first.r.createService('default', body('pending'));
    first.r.stop();
    await first.store.flush();

    const second = setup(await Store.open(dir));
    expect(second.cp.added.sort()).toEqual(['default/hello-knative', 'default/hello-world', 'default/pending-00001']);
    expect(second.cp.split('default', 'hello')).toEqual(['hello-knative=100']);
    expect(second.cp.routes?.find((x) => x.name === 'hello')?.tags).toEqual([{ tag: 'old', revisionName: 'hello-world' }]);
    expect(ready(second.r.getService('default', 'hello'))).toBe('True');
    expect(ready(second.r.getService('default', 'broken'))).toBe('False RevisionFailed');
    second.cp.ready('default/pending-00001');
    expect(second.cp.split('default', 'pending')).toEqual(['pending-00001=100']);
  });
});
