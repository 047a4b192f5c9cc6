/**
 * Bad traffic and bad references through the real `kdp` binary against a real `kdp serve`: each is refused with
 * Knative's message and a non-zero exit (1 refused, 2 usage), the stored Service is left exactly as it was, and the
 * router keeps serving the previous split. test/cli.test.ts covers a sum below 100, an unknown revision in
 * `--traffic`, two new tags of one name, `--untag` of an unknown tag and a malformed `--traffic`; these are the rest.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, get, kdp, newDataDir, SAMPLE_APP_CMD, startServe, type Serve } from './cli-harness.js';
import { askMany, countBy, kdpOk } from './helpers/traffic.js';

let s: Serve;
let host: string;

interface ServiceJson {
  metadata: { generation: number; resourceVersion: string };
  spec: { traffic: unknown[] };
}

async function serviceJson(): Promise<ServiceJson> {
  return JSON.parse((await kdpOk(s.server, 'service', 'describe', 'hello', '-o', 'json')).stdout) as ServiceJson;
}

beforeAll(async () => {
  s = await startServe();
  host = `hello.default.localhost:${String(s.routerPort)}`;
  await kdpOk(s.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD, '--env', 'TARGET=World', '--revision-name', 'world');
  await kdpOk(s.server, 'service', 'update', 'hello', '--env', 'TARGET=Knative', '--revision-name', 'knative');
  await kdpOk(s.server, 'service', 'update', 'hello', '--traffic', 'hello-world=50', '--traffic', '@latest=50', '--tag', 'hello-world=old');
}, 30_000);

afterAll(async () => {
  await cleanup();
});

const REFUSED = 1;
const USAGE = 2;

describe('refused changes leave the service and its routing as they were', () => {
  it.each<{ what: string; args: string[]; code: number; stderr: string | RegExp }>([
    {
      what: 'traffic summing to more than 100',
      args: ['service', 'update', 'hello', '--traffic', 'hello-world=60', '--traffic', '@latest=50'],
      code: REFUSED,
      stderr: 'kdp: validation failed: Traffic targets sum to 110, want 100: spec.traffic\n',
    },
    {
      // hello-world keeps its tag at 0 %; the untagged @latest target at 0 % is dropped, as kn does.
      what: 'traffic summing to 0',
      args: ['service', 'update', 'hello', '--traffic', 'hello-world=0'],
      code: REFUSED,
      stderr: 'kdp: validation failed: Traffic targets sum to 0, want 100: spec.traffic\n',
    },
    {
      what: 'a percent above 100 (Knative reports the bound and the sum together)',
      args: ['service', 'update', 'hello', '--traffic', 'hello-world=101'],
      code: REFUSED,
      stderr: /^kdp: validation failed: Traffic targets sum to 101, want 100: spec\.traffic\nexpected 0 <= 101 <= 100: spec\.traffic\[\d\]\.percent\n$/,
    },
    {
      what: 'a tag on a revision that does not exist',
      args: ['service', 'update', 'hello', '--tag', 'hello-nope=x'],
      code: REFUSED,
      stderr: /^kdp: validation failed: Revision "hello-nope" referenced in traffic not found: spec\.traffic\[\d\]\.revisionName\n$/,
    },
    {
      what: 'a tag already held by another revision',
      args: ['service', 'update', 'hello', '--tag', 'hello-knative=old'],
      code: REFUSED,
      stderr: /^kdp: validation failed: Multiple definitions for "old": spec\.traffic\[\d\]\.tag, spec\.traffic\[\d\]\.tag\n$/,
    },
    {
      what: 'a tag already held, given to @latest',
      args: ['service', 'update', 'hello', '--tag', '@latest=old'],
      code: REFUSED,
      stderr: /^kdp: validation failed: Multiple definitions for "old": spec\.traffic\[\d\]\.tag, spec\.traffic\[\d\]\.tag\n$/,
    },
    {
      what: 'a tag that is not a DNS-1035 label',
      args: ['service', 'update', 'hello', '--tag', 'hello-world=Bad_Tag'],
      code: REFUSED,
      stderr: /^kdp: validation failed: invalid value: not a DNS 1035 label: \[a DNS-1035 label must consist of lower case alphanumeric characters .*\]: spec\.traffic\.tag\[\d\]\n$/,
    },
    {
      what: 'the same traffic reference twice',
      args: ['service', 'update', 'hello', '--traffic', '@latest=50', '--traffic', '@latest=50'],
      code: USAGE,
      stderr: "kdp: --traffic: @latest is given more than once\nRun 'kdp service update --help' for usage.\n",
    },
    {
      what: 'a negative percent',
      args: ['service', 'update', 'hello', '--traffic', 'hello-world=-1', '--traffic', '@latest=101'],
      code: USAGE,
      stderr: "kdp: --traffic hello-world=-1: expected an integer percent\nRun 'kdp service update --help' for usage.\n",
    },
    {
      what: 'deleting a revision that takes traffic',
      args: ['revision', 'delete', 'hello-world'],
      code: REFUSED,
      stderr:
        'kdp: Operation cannot be fulfilled on revisions.serving.knative.dev "hello-world": it receives traffic from route "hello"; ' +
        'move its traffic (and tags) to another revision first\nkdp: 1 of 1 revisions not deleted\n',
    },
    {
      what: 'creating a service that exists',
      args: ['service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD],
      code: REFUSED,
      stderr: 'kdp: services.serving.knative.dev "hello" already exists\n',
    },
    {
      what: 'a new template under an existing revision name',
      args: ['service', 'update', 'hello', '--env', 'TARGET=Again', '--revision-name', 'world'],
      code: REFUSED,
      stderr: /^kdp: revisions\.serving\.knative\.dev "hello-world" already exists: /,
    },
  ])('$what: exit $code', async ({ args, code, stderr }) => {
    const before = await serviceJson();
    const r = await kdp(s.server, ...args);
    expect(r.code).toBe(code);
    if (typeof stderr === 'string') expect(r.stderr).toBe(stderr);
    else expect(r.stderr).toMatch(stderr);
    const after = await serviceJson();
    expect(after.spec.traffic).toEqual(before.spec.traffic);
    expect(after.metadata.generation).toBe(before.metadata.generation);
    // Still the 50/50 split, exact, and the tag.
    const answers = await askMany(s.routerPort, host, 10);
    expect(countBy(answers, (a) => a.revision)).toEqual({ 'hello-knative': 5, 'hello-world': 5 });
    expect((await get(s.routerPort, `old-hello.default.localhost:${String(s.routerPort)}`)).body).toBe('Hello World!\n');
  });

  it('refuses an applied Service whose traffic does not sum to 100, with the same message', async () => {
    const dir = await newDataDir();
    const file = path.join(dir, 'hello.yaml');
    await writeFile(
      file,
      [
        'apiVersion: serving.knative.dev/v1',
        'kind: Service',
        'metadata:',
        '  name: hello',
        'spec:',
        '  template:',
        '    metadata:',
        '      name: hello-knative',
        '    spec:',
        '      containers:',
        '        - command: ["node", "packages/sample-app/bin/kdp-sample-app.js"]',
        '          env:',
        '            - name: TARGET',
        '              value: Knative',
        '  traffic:',
        '    - revisionName: hello-world',
        '      percent: 50',
        '      tag: old',
        '    - latestRevision: true',
        '      percent: 40',
        '',
      ].join('\n'),
    );
    const before = await serviceJson();
    const r = await kdp(s.server, 'apply', '-f', file);
    expect(r.code).toBe(REFUSED);
    expect(r.stderr).toBe('kdp: validation failed: Traffic targets sum to 90, want 100: spec.traffic\n');
    expect((await serviceJson()).spec.traffic).toEqual(before.spec.traffic);
  });

  it('refuses to delete a revision that only holds a tag; once untagged and without traffic it goes', async () => {
    await kdpOk(s.server, 'service', 'update', 'hello', '--traffic', '@latest=100');
    let r = await kdp(s.server, 'revision', 'delete', 'hello-world');
    expect(r.code).toBe(REFUSED);
    expect(r.stderr).toContain('it receives traffic from route "hello"; move its traffic (and tags) to another revision first');
    expect((await get(s.routerPort, `old-hello.default.localhost:${String(s.routerPort)}`)).body).toBe('Hello World!\n');

    await kdpOk(s.server, 'service', 'update', 'hello', '--untag', 'old');
    r = await kdpOk(s.server, 'revision', 'delete', 'hello-world');
    expect(r.stdout).toBe("Revision 'hello-world' deleted in namespace 'default'.\n");
    expect((await get(s.routerPort, `old-hello.default.localhost:${String(s.routerPort)}`)).status).toBe(404);
    const gone = await kdp(s.server, 'service', 'update', 'hello', '--traffic', 'hello-world=100');
    expect(gone.code).toBe(REFUSED);
    expect(gone.stderr).toMatch(/^kdp: validation failed: Revision "hello-world" referenced in traffic not found: spec\.traffic\[0\]\.revisionName\n$/);
    expect(countBy(await askMany(s.routerPort, host, 5), (a) => a.revision)).toEqual({ 'hello-knative': 5 });
  });
});
