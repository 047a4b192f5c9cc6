/**
 * The README's walkthrough ("The local platform"), step by step, through the real `kdp` binary against a real
 * `kdp serve`: create hello → Hello World! → scale to zero seen in `kdp revision list` → cold start → update to
 * Knative → a 50/50 split that alternates → a tag reached by its host and by the header → back to one revision and
 * clean up. The only departure from the README is a short autoscaling window so scale to zero takes seconds, not a
 * minute (Knative's minimum stable window is 6 s).
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, get, kdp, SAMPLE_APP_CMD, startServe } from './cli-harness.js';
import { kdpOk, revisionList, untilRevision } from './helpers/traffic.js';

afterEach(async () => {
  await cleanup();
});

const SHORT_IDLE = ['--scale-window', '6s', '--annotation', 'kdp.dev/scale-to-zero-grace-period=1s'];

describe('the README walkthrough through the kdp CLI', () => {
  it('create, curl, scale to zero, cold start, update, split, tag, clean up', { timeout: 120_000 }, async () => {
    const s = await startServe();
    const host = `hello.default.localhost:${String(s.routerPort)}`;
    const url = `http://${host}`;
    const body = async (h = host, headers: Record<string, string> = {}): Promise<string> => {
      const r = await get(s.routerPort, h, '/', headers);
      expect(r.status, `${h} ${JSON.stringify(headers)}: ${r.body}`).toBe(200);
      return r.body;
    };

    // npx kdp service create hello --cmd "node packages/sample-app/bin/kdp-sample-app.js" --env TARGET=World --revision-name world
    const created = await kdpOk(s.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD, '--env', 'TARGET=World', '--revision-name', 'world', ...SHORT_IDLE);
    expect(created.stdout).toContain(`Service 'hello' created to latest revision 'hello-world' is available at URL:\n${url}\n`);
    // curl http://hello.default.localhost:8080
    expect(await body()).toBe('Hello World!\n');

    // watch kdp revision list: PODS goes from 1 to 0 once the revision idles; it stays Ready.
    const idle = await untilRevision(s.server, 'hello-world', 'zero pods', (r) => r.actualReplicas === 0, 40_000);
    expect(idle).toMatchObject({ actualReplicas: 0, desiredReplicas: 0, ready: 'True' });
    const table = await kdpOk(s.server, 'revision', 'list');
    expect(table.stdout).toMatch(/\nhello-world\s+hello\s+100%\s+1\s+\d+s\s+0\s+\d OK \/ 4\s+True\s*\n/);

    // The cold start: the activator holds the request while a pod starts.
    const t0 = performance.now();
    expect(await body()).toBe('Hello World!\n');
    const coldMs = performance.now() - t0;
    expect((await revisionList(s.server, 'hello')).find((r) => r.name === 'hello-world')).toMatchObject({ actualReplicas: 1 });
    console.log(`walkthrough: cold start through the router ${coldMs.toFixed(0)} ms`);

    // npx kdp service update hello --env TARGET=Knative --revision-name knative
    const updated = await kdpOk(s.server, 'service', 'update', 'hello', '--env', 'TARGET=Knative', '--revision-name', 'knative');
    expect(updated.stdout).toContain(`Service 'hello' updated to latest revision 'hello-knative' is available at URL:\n${url}\n`);
    expect(await body()).toBe('Hello Knative!\n');

    // npx kdp service update hello --traffic hello-world=50 --traffic @latest=50; a curl loop alternates.
    await kdpOk(s.server, 'service', 'update', 'hello', '--traffic', 'hello-world=50', '--traffic', '@latest=50');
    const loop: string[] = [];
    for (let i = 0; i < 6; i++) loop.push(await body());
    expect(loop.filter((b) => b === 'Hello World!\n')).toHaveLength(3);
    expect(loop.filter((b) => b === 'Hello Knative!\n')).toHaveLength(3);
    for (let i = 1; i < loop.length; i++) expect(loop[i], `request ${String(i)} of ${JSON.stringify(loop)}`).not.toBe(loop[i - 1]);

    // npx kdp service update hello --tag hello-world=old; the tag's own host, and the header on the default host.
    await kdpOk(s.server, 'service', 'update', 'hello', '--tag', 'hello-world=old');
    expect(await body(`old-hello.default.localhost:${String(s.routerPort)}`)).toBe('Hello World!\n');
    for (let i = 0; i < 4; i++) expect(await body(host, { 'Knative-Serving-Tag': 'old' })).toBe('Hello World!\n');

    // describe, route list, service list -o yaml: what the README says they show.
    const describe = await kdpOk(s.server, 'service', 'describe', 'hello');
    expect(describe.stdout).toMatch(/50%\s+@latest \(hello-knative\)/);
    expect(describe.stdout).toMatch(/50%\s+hello-world #old/);
    expect(describe.stdout).toContain(`URL:  http://old-hello.default.localhost:${String(s.routerPort)}`);
    expect((await kdpOk(s.server, 'route', 'list')).stdout).toMatch(new RegExp(`\\nhello\\s+${url.replaceAll('.', '\\.')}\\s+True\\n`));
    const yaml = (await kdpOk(s.server, 'service', 'list', '-o', 'yaml')).stdout;
    expect(yaml).toContain('apiVersion: serving.knative.dev/v1');
    expect(yaml).toContain('latestReadyRevisionName: hello-knative');

    // Back to one revision, and clean up.
    await kdpOk(s.server, 'service', 'update', 'hello', '--untag', 'old', '--traffic', '@latest=100');
    for (let i = 0; i < 4; i++) expect(await body()).toBe('Hello Knative!\n');
    const untagged = await get(s.routerPort, `old-hello.default.localhost:${String(s.routerPort)}`);
    expect(untagged.status).toBe(404);
    expect(untagged.headers['x-kdp-error']).toBe('not-found');

    const deleted = await kdpOk(s.server, 'revision', 'delete', 'hello-world');
    expect(deleted.stdout).toBe("Revision 'hello-world' deleted in namespace 'default'.\n");
    expect((await revisionList(s.server)).map((r) => r.name)).toEqual(['hello-knative']);
    expect(await body()).toBe('Hello Knative!\n');

    await kdpOk(s.server, 'service', 'delete', 'hello');
    expect((await get(s.routerPort, host)).status).toBe(404);
    expect(await revisionList(s.server)).toEqual([]);
    const none = await kdp(s.server, 'service', 'describe', 'hello');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('kdp: services.serving.knative.dev "hello" not found\n');
  });
});
