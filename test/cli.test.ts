/**
 * The `kdp` binary against a real `kdp serve` (real router, activator, autoscaler, pods of the sample app):
 * create → request → 200, validation errors with Knative's messages and their exit codes, failing commands,
 * ports in use, a server that is not running, and state surviving a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { cleanup, get, kdp, kdpWith, newDataDir, SAMPLE_APP_CMD, startServe } from './cli-harness.js';
import { request } from './helpers/http.js';
import { freePorts } from './helpers/ports.js';

afterEach(async () => {
  await cleanup();
});

describe('kdp CLI end to end', () => {
  it('creates hello from the sample app and serves it at hello.default.localhost', async () => {
    const s = await startServe();
    const r = await kdp(s.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD, '--env', 'TARGET=World', '--revision-name', 'world');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Creating service 'hello' in namespace 'default':");
    expect(r.stdout).toContain('Ready to serve.');
    expect(r.stdout).toContain(
      `Service 'hello' created to latest revision 'hello-world' is available at URL:\nhttp://hello.default.localhost:${s.routerPort}\n`,
    );
    const res = await get(s.routerPort, `hello.default.localhost:${s.routerPort}`);
    expect(res.status).toBe(200);
    expect(res.body).toBe('Hello World!\n');

    const list = await kdp(s.server, 'revision', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/\nhello-world\s+hello\s+100%\s+1\s+\d+s\s+1\s+4 OK \/ 4\s+True\n/);
    expect((await get(s.routerPort, `nope.default.localhost`)).status).toBe(404);
  }, 60_000);

  it('refuses bad traffic with Knative messages and exit 1, keeps serving', async () => {
    const s = await startServe();
    expect((await kdp(s.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD, '--revision-name', 'world')).code).toBe(0);
    expect((await kdp(s.server, 'service', 'update', 'hello', '--env', 'TARGET=Knative', '--revision-name', 'knative')).code).toBe(0);

    const cases: [string[], string][] = [
      [['--traffic', 'hello-world=40', '--traffic', '@latest=50'], 'kdp: validation failed: Traffic targets sum to 90, want 100: spec.traffic\n'],
      [['--traffic', 'hello-nope=50', '--traffic', '@latest=50'], 'kdp: validation failed: Revision "hello-nope" referenced in traffic not found: spec.traffic[1].revisionName\n'],
      [['--tag', 'hello-world=same', '--tag', 'hello-knative=same'], 'Multiple definitions for "same"'],
      [['--untag', 'nope'], "kdp: --untag nope: no traffic target has the tag 'nope'\n"],
    ];
    for (const [flags, message] of cases) {
      const r = await kdp(s.server, 'service', 'update', 'hello', ...flags);
      expect(r.code, flags.join(' ')).toBe(1);
      expect(r.stderr).toContain(message);
    }
    const usage = await kdp(s.server, 'service', 'update', 'hello', '--traffic', 'hello-world');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('expected REVISION=PERCENT');

    const res = await get(s.routerPort, 'hello.default.localhost');
    expect(res.body).toBe('Hello Knative!\n');
  }, 60_000);

  it('reports a command that does not exist, or exits at once, as a failed revision; traffic stays where it was', async () => {
    const s = await startServe();
    let r = await kdp(s.server, 'service', 'create', 'ghost', '--cmd', 'kdp-no-such-program-xyz');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^kdp: service 'ghost' is not ready: RevisionFailed: Revision "ghost-00001" failed with message: .*not found/);

    expect((await kdp(s.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD)).code).toBe(0);
    r = await kdp(s.server, 'service', 'update', 'hello', '--cmd', `node -e "process.exit(3)"`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/RevisionFailed: Revision "hello-00002" failed with message: .*code 3/);
    const res = await get(s.routerPort, 'hello.default.localhost');
    expect(res.status).toBe(200);
    expect(res.headers['x-kdp-revision']).toBe('hello-00001');

    const rev = await kdp(s.server, 'revision', 'list', 'hello');
    expect(rev.stdout).toMatch(/\nhello-00002\s+hello\s+2\s+\d+s\s+\d+\s+\d OK \/ 4\s+False\s+\S+/);
  }, 60_000);

  it('says so when the server is not running, its ports are taken, or its data directory is in use', async () => {
    // A port nobody listens on (port 1 would not do: fetch refuses to connect to it at all).
    const [closed] = (await freePorts(1)) as [number];
    const none = await kdp(`http://127.0.0.1:${String(closed)}`, 'service', 'list');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`kdp: cannot reach kdp server at http://127.0.0.1:${String(closed)} — start it with \`npm start\`\n`);

    const s = await startServe();
    for (const [flag, port, what] of [
      ['--api-port', s.apiPort, 'control API'],
      ['--router-port', s.routerPort, 'router'],
    ] as const) {
      const other = flag === '--api-port' ? ['--router-port', '0'] : ['--api-port', '0'];
      const r = await kdp(undefined, 'serve', '--data-dir', await newDataDir(), flag, String(port), ...other, '--log-level', 'silent');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`kdp: port ${port} on 127.0.0.1 is already in use, so the ${what} cannot listen`);
    }
    const same = await kdp(undefined, 'serve', '--data-dir', s.dataDir, '--router-port', '0', '--api-port', '0');
    expect(same.code).toBe(1);
    expect(same.stderr).toContain(`kdp: another kdp serve (pid ${String(s.proc.child.pid)}) is using ${s.dataDir}`);
  }, 60_000);

  it('keeps services across a restart of kdp serve (SIGTERM exits 0)', async () => {
    const s = await startServe();
    expect((await kdp(s.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD, '--revision-name', 'world')).code).toBe(0);
    expect((await kdp(s.server, 'service', 'update', 'hello', '--env', 'TARGET=Knative', '--revision-name', 'knative')).code).toBe(0);
    expect((await kdp(s.server, 'service', 'update', 'hello', '--tag', 'hello-world=old')).code).toBe(0);
    const { code, signal } = await s.stop();
    expect(signal).toBeNull();
    expect(code).toBe(0);

    const again = await startServe({ dataDir: s.dataDir });
    expect(again.proc.stdout).toContain('(1 service restored)');
    // Served at once: the activator holds the request until the re-added revision's pod is ready.
    const res = await get(again.routerPort, 'hello.default.localhost');
    expect(res.status).toBe(200);
    expect(res.body).toBe('Hello Knative!\n');
    expect((await get(again.routerPort, 'old-hello.default.localhost')).body).toBe('Hello World!\n');
    const list = await kdp(again.server, 'service', 'list');
    expect(list.stdout).toMatch(/\nhello\s+http:\/\/hello\.default\.localhost:\d+\s+hello-knative\s+\d+s\s+3 OK \/ 3\s+True\n/);
  }, 60_000);

  it('guards the control API: the CLI uses the credential in the data directory; a foreign Host or no credential is refused', async () => {
    const s = await startServe();
    const tokenFile = path.join(s.dataDir, 'api-token');
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect(s.proc.stdout).toContain(`credential in ${tokenFile}`);

    // A shell that does not know the data directory (and whose ~/.kdp has no token).
    const home = await newDataDir();
    const anon = await kdpWith({ KDP_SERVER: s.server, HOME: home }, 'service', 'create', 'x', '--cmd', SAMPLE_APP_CMD);
    expect(anon.code).toBe(1);
    expect(anon.stderr).toBe(
      `kdp: POST changes the platform and needs kdp serve's local credential: the kdp CLI reads it from ${tokenFile} ` +
        `(or $KDP_DATA_DIR/api-token, or KDP_API_TOKEN); with curl add -H "Authorization: Bearer $(cat ${tokenFile})"\n`,
    );
    // Reads need no credential.
    expect((await kdpWith({ KDP_SERVER: s.server, HOME: home }, 'service', 'list')).code).toBe(0);

    // What a page that rebound evil.example to 127.0.0.1 would send.
    const body = JSON.stringify({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'evil' }, spec: { template: { spec: { containers: [{ command: ['node', '-e', '1'] }] } } } });
    const evil = await request(s.apiPort, '/apis/serving.knative.dev/v1/namespaces/default/services', {
      method: 'POST',
      headers: { host: `evil.example:${String(s.apiPort)}`, 'content-type': 'text/plain' },
      body,
    });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body)).toMatchObject({ kind: 'Status', reason: 'Forbidden' });
    expect((await kdp(s.server, 'service', 'list')).stdout).toBe('No services found.\n');
  }, 60_000);

  it('kdp serve --allow-zero-initial-scale lets --scale-init 0 start a revision at zero pods; the first request starts one', async () => {
    const s = await startServe({ extraArgs: ['--allow-zero-initial-scale'] });
    const r = await kdp(s.server, 'service', 'create', 'zero', '--cmd', SAMPLE_APP_CMD, '--scale-init', '0');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await kdp(s.server, 'revision', 'list')).stdout).toMatch(/\nzero-00001\s+zero\s+100%\s+1\s+\d+s\s+0\s+/);
    const res = await get(s.routerPort, 'zero.default.localhost');
    expect(res.status).toBe(200);
    expect(res.body).toBe('Hello World!\n');

    // Live numbers: that request was a cold start, with its phases; a few more give a rate and latencies.
    for (let i = 0; i < 5; i++) expect((await get(s.routerPort, 'zero.default.localhost')).status).toBe(200);
    const describe = await kdp(s.server, 'revision', 'describe', 'zero-00001');
    expect(describe.stdout).toMatch(/Last cold start:\s+\d+(\.\d+)?m?s, \d+s ago \(pod start \S+, app ready \S+, first byte \S+\)/);
    expect(describe.stdout).toMatch(/Traffic now:\s+\d+(\.\d)? req\/s, p50 \d+(\.\d)?ms, p99 \S+ \(last \d+s\); 0 in flight, 0 queued/);
    const wide = await kdp(s.server, 'revision', 'list', '-o', 'wide');
    expect(wide.stdout).toMatch(/RPS\s+IN-FLIGHT\s+P50\s+P99\s+COLD START\n/);
    expect(wide.stdout).toMatch(/\nzero-00001\s+zero\s+100%\s+1\s+\d+s\s+1\s+\d OK \/ 4\s+True\s+\d+(\.\d)?\s+0\s+\S+ms\s+\S+\s+\S+\n/);
    expect((await kdp(s.server, 'service', 'describe', 'zero')).stdout).toContain('Last cold start:');
  }, 60_000);

  it('logs one readable line per event with --log-format pretty (pods prefixed), JSON lines when piped by default', async () => {
    const pretty = await startServe({ extraArgs: ['--log-format', 'pretty', '--log-level', 'info'] });
    expect((await kdp(pretty.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD)).code).toBe(0);
    const out = pretty.proc.stdout;
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}default\/hello-00001 hello-00001-1 revision ready$/m);
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} hello-00001-1 queue-proxy \| INFO {2}/m);
    expect(out).not.toMatch(/^\{/m);

    const json = await startServe({ extraArgs: ['--log-level', 'info'] });
    expect((await kdp(json.server, 'service', 'create', 'hello', '--cmd', SAMPLE_APP_CMD)).code).toBe(0);
    const lines = json.proc.stdout.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.map((l) => (JSON.parse(l) as { msg?: string }).msg)).toContain('revision ready');
  }, 60_000);
});
