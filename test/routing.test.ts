/**
 * The router through a real `kdp serve`, traffic set with the real `kdp` CLI: exact weighted splits (counts over 100
 * consecutive requests, and the within-one bound over every window), tag hosts and the `Knative-Serving-Tag` header,
 * `@latest` tags following new revisions, 404 for hosts no route serves, and a configured domain. The revision that
 * answered is the sample app's `X-Kdp-Revision` (its `K_REVISION`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, get, SAMPLE_APP_CMD, startServe, type Serve } from './cli-harness.js';
import { ask, askMany, countBy, keepAliveAgent, kdpOk } from './helpers/traffic.js';

let s: Serve;
let host: string;

beforeAll(async () => {
  s = await startServe();
  host = `hello.default.localhost:${String(s.routerPort)}`;
  await kdpOk(s.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD, '--env', 'TARGET=World', '--revision-name', 'world');
  await kdpOk(s.server, 'service', 'update', 'hello', '--env', 'TARGET=Knative', '--revision-name', 'knative');
  await kdpOk(s.server, 'service', 'update', 'hello', '--env', 'TARGET=Hola', '--revision-name', 'hola');
}, 30_000);

afterAll(async () => {
  await cleanup();
});

/**
 * The first window (any length) in which a revision's count is not the floor or the ceiling of its exact share, or
 * undefined. With two targets kdp promises every window gets one of those two (router split-schedule.ts).
 */
function windowViolation(seq: readonly string[], shares: Readonly<Record<string, number>>): string | undefined {
  for (const [rev, share] of Object.entries(shares)) {
    const prefix = [0];
    for (const r of seq) prefix.push((prefix.at(-1) ?? 0) + (r === rev ? 1 : 0));
    for (let a = 0; a < seq.length; a++) {
      for (let b = a + 1; b <= seq.length; b++) {
        const count = (prefix[b] ?? 0) - (prefix[a] ?? 0);
        const due = (b - a) * share;
        if (count < Math.floor(due + 1e-9) || count > Math.ceil(due - 1e-9)) {
          return `${rev}: ${String(count)} of requests ${String(a)}..${String(b - 1)}, due ${due.toFixed(2)}`;
        }
      }
    }
  }
  return undefined;
}

describe('exact traffic splits', () => {
  it.each([
    { split: '90/10', flags: ['hello-world=90', 'hello-knative=10'], want: { 'hello-knative': 10, 'hello-world': 90 }, concurrency: 1 },
    { split: '50/50', flags: ['hello-world=50', 'hello-knative=50'], want: { 'hello-knative': 50, 'hello-world': 50 }, concurrency: 1 },
    { split: '1/99', flags: ['hello-world=1', 'hello-knative=99'], want: { 'hello-knative': 99, 'hello-world': 1 }, concurrency: 1 },
    // Concurrent requests still reach the router one after another: 100 of them are 100 consecutive picks.
    { split: '1/99', flags: ['hello-world=1', 'hello-knative=99'], want: { 'hello-knative': 99, 'hello-world': 1 }, concurrency: 10 },
    {
      split: '20/30/50 (@latest)',
      flags: ['hello-world=20', 'hello-knative=30', '@latest=50'],
      want: { 'hello-hola': 50, 'hello-knative': 30, 'hello-world': 20 },
      concurrency: 1,
    },
  ])('$split over 100 requests, $concurrency at a time, is exact', async ({ flags, want, concurrency }) => {
    await kdpOk(s.server, 'service', 'update', 'hello', ...flags.flatMap((f) => ['--traffic', f]));
    const first = await askMany(s.routerPort, host, 100, concurrency);
    expect(first.filter((a) => a.status !== 200)).toEqual([]);
    expect(countBy(first, (a) => a.revision)).toEqual(want);
    // And the next 100 again: the split is periodic, not exact only from a fresh start.
    const second = await askMany(s.routerPort, host, 100, concurrency);
    expect(countBy(second, (a) => a.revision)).toEqual(want);
    if (concurrency === 1 && Object.keys(want).length === 2) {
      const shares = Object.fromEntries(Object.entries(want).map(([k, v]) => [k, v / 100]));
      expect(windowViolation([...first, ...second].map((a) => a.revision), shares)).toBeUndefined();
    }
  });

  it('stays exact across a route change that leaves the split alone (a tag added mid-run)', async () => {
    await kdpOk(s.server, 'service', 'update', 'hello', '--traffic', 'hello-world=90', '--traffic', 'hello-knative=10');
    // 45 then 55: a picker restarted by the tag change could give 9 or 11 canary requests in these 100.
    const before = await askMany(s.routerPort, host, 45);
    await kdpOk(s.server, 'service', 'update', 'hello', '--tag', 'hello-knative=canary');
    const after = await askMany(s.routerPort, host, 55);
    const all = [...before, ...after];
    expect(all.filter((a) => a.status !== 200)).toEqual([]);
    expect(countBy(all, (a) => a.revision)).toEqual({ 'hello-knative': 10, 'hello-world': 90 });
    expect(windowViolation(all.map((a) => a.revision), { 'hello-knative': 0.1, 'hello-world': 0.9 })).toBeUndefined();
    await kdpOk(s.server, 'service', 'update', 'hello', '--untag', 'canary');
  });
});

describe('tag hosts and the Knative-Serving-Tag header', () => {
  it('serves each tag at <tag>-hello and by header on the default host, without moving the split', async () => {
    await kdpOk(
      s.server, 'service', 'update', 'hello',
      '--traffic', 'hello-world=50', '--traffic', 'hello-knative=50',
      '--tag', 'hello-world=old', '--tag', 'hello-knative=new', '--tag', '@latest=current',
    );
    const port = String(s.routerPort);
    const agent = keepAliveAgent(1);
    try {
      const defaults: string[] = [];
      for (let i = 0; i < 20; i++) {
        const d = await ask(s.routerPort, host, agent);
        expect(d.status).toBe(200);
        defaults.push(d.revision);
        // Requests by tag, in between, take no turn of the default split.
        expect(await ask(s.routerPort, `old-hello.default.localhost:${port}`, agent)).toMatchObject({ status: 200, revision: 'hello-world', body: 'Hello World!\n' });
        expect(await ask(s.routerPort, `new-hello.default.localhost:${port}`, agent)).toMatchObject({ status: 200, revision: 'hello-knative' });
        expect(await ask(s.routerPort, `current-hello.default.localhost:${port}`, agent)).toMatchObject({ status: 200, revision: 'hello-hola' });
        expect(await ask(s.routerPort, host, agent, { 'Knative-Serving-Tag': 'old' })).toMatchObject({ status: 200, revision: 'hello-world' });
        expect(await ask(s.routerPort, host, agent, { 'Knative-Serving-Tag': 'current' })).toMatchObject({ status: 200, revision: 'hello-hola' });
      }
      for (let i = 1; i < defaults.length; i++) expect(defaults[i], JSON.stringify(defaults)).not.toBe(defaults[i - 1]);

      // The header is read on the route's own host only; on a tag host the host decides.
      expect(await ask(s.routerPort, `old-hello.default.localhost:${port}`, agent, { 'Knative-Serving-Tag': 'new' })).toMatchObject({ revision: 'hello-world' });
      // A header naming no tag falls through to the default split, as in Knative.
      const unknown = [await ask(s.routerPort, host, agent, { 'Knative-Serving-Tag': 'nope' }), await ask(s.routerPort, host, agent, { 'Knative-Serving-Tag': 'nope' })];
      expect(unknown.map((a) => a.status)).toEqual([200, 200]);
      expect(unknown.map((a) => a.revision).sort()).toEqual(['hello-knative', 'hello-world']);
      // Host names are case-insensitive, a trailing dot names the same host.
      expect(await ask(s.routerPort, `OLD-Hello.Default.LOCALHOST.:${port}`, agent)).toMatchObject({ status: 200, revision: 'hello-world' });
    } finally {
      agent.destroy();
    }
  });

  it('moves an @latest tag to a new revision; revision-pinned traffic and tags stay', async () => {
    await kdpOk(s.server, 'service', 'update', 'hello', '--env', 'TARGET=Ciao', '--revision-name', 'ciao');
    const port = String(s.routerPort);
    expect((await get(s.routerPort, `current-hello.default.localhost:${port}`)).body).toBe('Hello Ciao!\n');
    expect((await get(s.routerPort, host, '/', { 'Knative-Serving-Tag': 'current' })).body).toBe('Hello Ciao!\n');
    expect((await get(s.routerPort, `old-hello.default.localhost:${port}`)).body).toBe('Hello World!\n');
    const split = await askMany(s.routerPort, host, 10);
    expect(countBy(split, (a) => a.revision)).toEqual({ 'hello-knative': 5, 'hello-world': 5 });
  });

  it.each([
    ['a tag no target has', (p: string) => `nope-hello.default.localhost:${p}`],
    ['another namespace', (p: string) => `hello.other.localhost:${p}`],
    ['a service that does not exist', (p: string) => `nope.default.localhost:${p}`],
    ['another domain', (p: string) => `hello.default.example.com:${p}`],
    ['the bare address', (p: string) => `127.0.0.1:${p}`],
  ])('answers 404 not-found, marked as kdp-generated, for %s', async (_what, hostFor) => {
    const h = hostFor(String(s.routerPort));
    const r = await get(s.routerPort, h);
    expect(r.status).toBe(404);
    expect(r.headers['x-kdp-error']).toBe('not-found');
    expect(r.body).toBe(`no route for host ${JSON.stringify(h)}\n`);
  });

  it('answers 404 at a tag host once the tag is removed, while the header falls back to the split', async () => {
    await kdpOk(s.server, 'service', 'update', 'hello', '--untag', 'new');
    const port = String(s.routerPort);
    expect((await get(s.routerPort, `new-hello.default.localhost:${port}`)).status).toBe(404);
    const viaHeader = await get(s.routerPort, host, '/', { 'Knative-Serving-Tag': 'new' });
    expect(viaHeader.status).toBe(200);
    expect(['hello-world', 'hello-knative']).toContain(viaHeader.headers['x-kdp-revision']);
    expect((await get(s.routerPort, `old-hello.default.localhost:${port}`)).body).toBe('Hello World!\n');
  });
});

describe('a configured domain', () => {
  it('serves <service>.<namespace>.<domain> and its tag hosts, and prints those URLs', { timeout: 30_000 }, async () => {
    const d = await startServe({ extraArgs: ['--domain', 'example.com'] });
    const port = String(d.routerPort);
    const created = await kdpOk(d.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD, '--revision-name', 'world');
    expect(created.stdout).toContain(`http://hello.default.example.com:${port}\n`);
    await kdpOk(d.server, 'service', 'update', 'hello', '--tag', 'hello-world=old');
    expect((await get(d.routerPort, `hello.default.example.com:${port}`)).body).toBe('Hello World!\n');
    expect((await get(d.routerPort, `old-hello.default.example.com:${port}`)).body).toBe('Hello World!\n');
    expect((await get(d.routerPort, `hello.default.localhost:${port}`)).status).toBe(404);
    const describe = await kdpOk(d.server, 'service', 'describe', 'hello');
    expect(describe.stdout).toContain(`URL:  http://old-hello.default.example.com:${port}`);
  });
});

describe('tag-header routing switched off', () => {
  it('ignores Knative-Serving-Tag on the default host but keeps tag hosts', { timeout: 30_000 }, async () => {
    const d = await startServe({ extraArgs: ['--tag-header-routing', 'disabled'] });
    const port = String(d.routerPort);
    await kdpOk(d.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD, '--revision-name', 'world');
    await kdpOk(d.server, 'service', 'update', 'hello', '--env', 'TARGET=Knative', '--revision-name', 'knative');
    await kdpOk(d.server, 'service', 'update', 'hello', '--tag', 'hello-world=old');
    // All traffic is on hello-knative; with header routing on, the header would reach hello-world.
    for (let i = 0; i < 5; i++) {
      const r = await get(d.routerPort, `hello.default.localhost:${port}`, '/', { 'Knative-Serving-Tag': 'old' });
      expect(r.body).toBe('Hello Knative!\n');
    }
    expect((await get(d.routerPort, `old-hello.default.localhost:${port}`)).body).toBe('Hello World!\n');
  });

  it('refuses an unknown value with one line naming it', async () => {
    const r = await startServe({ extraArgs: ['--tag-header-routing', 'maybe'] }).then(
      () => 'started',
      (err: unknown) => String(err),
    );
    expect(r).toContain('tag header routing "maybe": expected enabled or disabled');
  });
});
