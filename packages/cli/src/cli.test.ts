// The CLI in-process against a real control API over a fake control plane: output shapes and exit codes.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from './api.js';
import { run } from './cli.js';
import type { Io } from './io.js';
import { Reconciler } from './reconciler.js';
import { Store } from './store.js';
import { FakeControlPlane } from './testing/fake-control-plane.js';

const pendingSettle = new Set<string>();
function settle(key: string): void {
  if (!pendingSettle.delete(key)) return;
  const rev = cp.revisions.get(key);
  if (rev?.container.command[0] === 'fail') cp.fail(key, 'ExitCode1', 'user-container exited with code 1');
  else cp.ready(key);
}

let app: FastifyInstance;
let cp: FakeControlPlane;
let server: string;

beforeAll(async () => {
  cp = new FakeControlPlane();
  // Revisions whose command is `fail` fail, the others become ready. When: as soon as a waiting CLI sleeps between
  // two status polls (so it has seen, and printed, the not-ready state first: no race with a timer under load), or
  // after 2 s for commands that do not wait.
  cp.onAdd = (key) => {
    pendingSettle.add(key);
    setTimeout(() => settle(key), 2000);
  };
  const r = new Reconciler({ store: Store.memory(), controlPlane: cp });
  r.start();
  app = buildApi(r, { token: 'cli-test-token' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  server = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
});
afterAll(async () => {
  await app.close();
});

async function kdp(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    now: Date.now,
    sleep: (ms) => {
      for (const key of [...pendingSettle]) settle(key);
      return new Promise((r) => setTimeout(r, ms));
    },
    cwd: '/srv/app',
    env: { KDP_SERVER: server, KDP_API_TOKEN: 'cli-test-token' },
    readText: (f) => Promise.resolve(FILES[f] ?? ''),
  };
  const code = await run(argv, io);
  return { code, out, err };
}

const YAML = `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: yamlsvc
spec:
  template:
    metadata:
      name: yamlsvc-v1
    spec:
      containers:
        - command: [node, app.js]
          env:
            - name: TARGET
              value: YAML
`;

const WD_YAML = `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: wd-rel
spec:
  template:
    spec:
      containers:
        - command: [node, app.js]
          workingDir: sub
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: wd-abs
spec:
  template:
    spec:
      containers:
        - command: [node, app.js]
          workingDir: /opt/x
`;

const BIG_YAML = `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: big
spec:
  template:
    spec:
      containers:
        - command: [node, app.js]
          env:
            - name: BLOB
              value: ${'x'.repeat(5 * 1024 * 1024)}
`;

const FILES: Readonly<Record<string, string>> = { 'svc.yaml': YAML, 'wd.yaml': WD_YAML, 'big.yaml': BIG_YAML };

describe('kdp CLI (in-process, fake control plane)', () => {
  it('creates a service, waits with progress lines and prints the URL', async () => {
    const r = await kdp('service', 'create', 'hello', '--cmd', 'node app.js', '--env', 'TARGET=World', '--revision-name', 'world');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Creating service 'hello' in namespace 'default':\n\n/);
    expect(r.out).toMatch(/\d\.\d{3}s The Configuration is still working to reflect the latest desired specification\.\n/);
    expect(r.out).toMatch(/\d\.\d{3}s Ready to serve\.\n/);
    expect(r.out).toMatch(/\nService 'hello' created to latest revision 'hello-world' is available at URL:\nhttp:\/\/hello\.default\.localhost:8080\n$/);
    expect(cp.revisions.get('default/hello-world')?.container).toMatchObject({ command: ['node', 'app.js'], workingDir: '/srv/app' });
  });

  it('updates the template, then the traffic and tags', async () => {
    let r = await kdp('service', 'update', 'hello', '--env', 'TARGET=Knative', '--revision-name', 'knative');
    expect(r.code).toBe(0);
    expect(r.out).toContain("Service 'hello' updated to latest revision 'hello-knative' is available at URL:");
    r = await kdp('service', 'update', 'hello', '--traffic', 'hello-world=50', '--traffic', '@latest=50', '--tag', 'hello-world=old');
    expect(r.code).toBe(0);
    expect(r.out).toContain("Service 'hello' with latest revision 'hello-knative' (unchanged) is available at URL:");
    expect(cp.split('default', 'hello')).toEqual(['hello-knative=50', 'hello-world=50']);
  });

  it('lists revisions with traffic, tags, generation and pods', async () => {
    const r = await kdp('revision', 'list');
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SERVICE\s+TRAFFIC\s+TAGS\s+GENERATION\s+AGE\s+PODS\s+CONDITIONS\s+READY\s+REASON$/);
    expect(lines[1]).toMatch(/^hello-knative\s+hello\s+50%\s+2\s+\d+s\s+1\s+4 OK \/ 4\s+True$/);
    expect(lines[2]).toMatch(/^hello-world\s+hello\s+50%\s+old\s+1\s+\d+s\s+1\s+4 OK \/ 4\s+True$/);
  });

  it('lists and describes services and routes; -o json|yaml prints the objects', async () => {
    let r = await kdp('service', 'list');
    expect(r.out).toMatch(/^NAME\s+URL\s+LATEST\s+AGE\s+CONDITIONS\s+READY\s+REASON\nhello\s+http:\/\/hello\.default\.localhost:8080\s+hello-knative\s+\d+s\s+3 OK \/ 3\s+True\n$/);
    r = await kdp('service', 'describe', 'hello');
    expect(r.out).toContain('   50%  @latest (hello-knative) [2]');
    expect(r.out).toContain('   50%  hello-world #old [1]');
    expect(r.out).toContain('URL:  http://old-hello.default.localhost:8080');
    expect(r.out).toMatch(/\+\+ Ready/);
    r = await kdp('route', 'list');
    expect(r.out).toMatch(/^NAME\s+URL\s+READY\nhello\s+http:\/\/hello\.default\.localhost:8080\s+True\n$/);
    r = await kdp('svc', 'ls', '-o', 'json');
    expect(JSON.parse(r.out)).toMatchObject({ kind: 'ServiceList', items: [{ metadata: { name: 'hello' } }] });
    r = await kdp('ksvc', 'describe', 'hello', '-o', 'json');
    expect(JSON.parse(r.out)).toMatchObject({ kind: 'Service', metadata: { name: 'hello' } });
    r = await kdp('rev', 'ls', '-o', 'yaml');
    expect(r.out).toMatch(/^apiVersion: serving\.knative\.dev\/v1\nkind: RevisionList\n/);
    r = await kdp('revision', 'describe', 'hello-world');
    expect(r.out).toMatch(/Traffic:\s+50% #old/);
    expect(r.out).toMatch(/Env:\s+TARGET=World/);
  });

  it.each([
    [['service', 'update', 'hello', '--traffic', 'hello-world=40', '--traffic', '@latest=50'], 1, 'kdp: validation failed: Traffic targets sum to 90, want 100: spec.traffic\n'],
    [['service', 'update', 'hello', '--traffic', 'hello-nope=50', '--traffic', '@latest=50'], 1, 'Revision "hello-nope" referenced in traffic not found'],
    [['service', 'update', 'hello', '--tag', 'hello-knative=old'], 1, 'Multiple definitions for "old"'],
    [['service', 'update', 'hello', '--untag', 'nope'], 1, "no traffic target has the tag 'nope'"],
    [['service', 'update', 'nope', '--env', 'A=B'], 1, 'kdp: services.serving.knative.dev "nope" not found\n'],
    [['service', 'create', 'hello', '--cmd', 'x'], 1, 'kdp: services.serving.knative.dev "hello" already exists\n'],
    [['service', 'create', 'nocmd'], 2, "requires --cmd"],
    [['service', 'create', 'x', '--cmd', 'x', '--bogus'], 2, "Unknown option '--bogus'"],
    [['service', 'frob'], 2, 'unknown command "service frob"'],
    [['frob'], 2, 'unknown command "frob"'],
    [['revision', 'delete', 'hello-world'], 1, 'it receives traffic from route "hello"'],
    [['service', 'list', '-o', 'xml'], 2, '-o "xml": expected json or yaml'],
  ])('kdp %j exits %d with the reason', async (argv, code, message) => {
    const r = await kdp(...argv);
    expect(r.code).toBe(code);
    expect(r.err).toContain(message);
  });

  it('reports a revision that fails and exits 1', async () => {
    const r = await kdp('service', 'create', 'broken', '--cmd', 'fail now');
    expect(r.code).toBe(1);
    expect(r.out).toContain('RevisionFailed: Revision "broken-00001" failed with message: user-container exited with code 1.');
    expect(r.err).toBe(`kdp: service 'broken' is not ready: RevisionFailed: Revision "broken-00001" failed with message: user-container exited with code 1.\n`);
  });

  it('applies a Knative YAML, then finds nothing to change', async () => {
    let r = await kdp('apply', '-f', 'svc.yaml');
    expect(r.code).toBe(0);
    expect(r.out).toContain("Service 'yamlsvc' created to latest revision 'yamlsvc-v1' is available at URL:");
    r = await kdp('apply', '-f', 'svc.yaml');
    expect(r.out).toBe("No changes to apply to service 'yamlsvc' in namespace 'default'.\n");
    // The relative `app.js` runs from the caller's directory (io.cwd), as with --cmd.
    expect(cp.revisions.get('default/yamlsvc-v1')?.container.workingDir).toBe('/srv/app');
  });

  it('resolves a relative workingDir in a YAML against the caller, and keeps an absolute one', async () => {
    const r = await kdp('apply', '-f', 'wd.yaml', '--no-wait');
    expect(r.code).toBe(0);
    expect(cp.revisions.get('default/wd-rel-00001')?.container.workingDir).toBe('/srv/app/sub');
    expect(cp.revisions.get('default/wd-abs-00001')?.container.workingDir).toBe('/opt/x');
    expect((await kdp('service', 'delete', 'wd-rel', 'wd-abs')).code).toBe(0);
  });

  it('refuses an object over the size limit before sending it, with its size, the limit and what to do', async () => {
    const r = await kdp('apply', '-f', 'big.yaml');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^kdp: the object is 5\.0 MiB \(\d+ bytes\) as JSON; the kdp control API accepts at most 1\.0 MiB \(1048576 bytes\) per object\. A Service is normally a few KiB: look for a large env value or a file pasted into it\n$/,
    );
    expect(r.err).not.toContain('cannot reach');
  });

  it('says that kdp runs local commands when given --image', async () => {
    for (const verb of ['create', 'update']) {
      const r = await kdp('service', verb, 'img', '--image', 'ghcr.io/knative/helloworld-go');
      expect(r.code).toBe(2);
      expect(r.err).toBe(
        `kdp: --image: kdp runs local commands, not container images; give the program and its arguments with --cmd "PROGRAM ARGS…" (for example --cmd "node server.js")\nRun 'kdp service ${verb} --help' for usage.\n`,
      );
    }
  });

  it('names the kdp serve flag that allows --scale-init 0', async () => {
    const r = await kdp('service', 'create', 'zero', '--cmd', 'node app.js', '--scale-init', '0');
    expect(r.code).toBe(1);
    expect(r.err).toContain('initial-scale=0 not allowed by cluster (kdp serve --allow-zero-initial-scale allows it)');
  });

  it('kdp help --help shows the overview', async () => {
    for (const args of [['help', '--help'], ['help', '-h']]) {
      const r = await kdp(...args);
      expect(r.code).toBe(0);
      expect(r.out).toContain('Usage: kdp');
      expect(r.err).toBe('');
    }
  });

  it('deletes services', async () => {
    const r = await kdp('service', 'delete', 'yamlsvc', 'broken');
    expect(r.code).toBe(0);
    expect(r.out).toBe("Service 'yamlsvc' successfully deleted in namespace 'default'.\nService 'broken' successfully deleted in namespace 'default'.\n");
  });

  it('says how to start the server when none is listening (a refused connection)', async () => {
    // A port that was free a moment ago: connecting to it is refused. (Port 1 would not do: fetch refuses it itself.)
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    const r = await kdp('service', 'list', '--server', `http://127.0.0.1:${String(closed)}`);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`kdp: cannot reach kdp server at http://127.0.0.1:${String(closed)} — start it with \`npm start\`\n`);
  });

  it('says when fetch will not connect to a port at all', async () => {
    const r = await kdp('service', 'list', '--server', 'http://127.0.0.1:1');
    expect(r.code).toBe(1);
    expect(r.err).toBe('kdp: port 1 of http://127.0.0.1:1 is one Node.js fetch refuses to connect to (a blocked port); start kdp serve with another --api-port\n');
  });
});
