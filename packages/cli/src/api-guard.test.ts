// The control API's refusals on a real socket: foreign Host (DNS rebinding), foreign Origin (a web page), missing or
// wrong credential, a body that is not JSON, a body over the limit. Each refused write leaves the platform untouched.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from './api.js';
import { hostName } from './api-guard.js';
import { Reconciler } from './reconciler.js';
import { Store } from './store.js';
import { FakeControlPlane } from './testing/fake-control-plane.js';

const TOKEN = 'guard-test-token';
const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function start(allowedHosts: string[] = []): Promise<{ port: number; cp: FakeControlPlane }> {
  const cp = new FakeControlPlane();
  const r = new Reconciler({ store: Store.memory(), controlPlane: cp });
  r.start();
  const app = buildApi(r, { token: TOKEN, allowedHosts, tokenFile: '/home/u/.kdp/api-token' });
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  return { port: typeof addr === 'object' && addr !== null ? addr.port : 0, cp };
}

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: { kind?: string; status?: string; reason?: string; code?: number; message?: string };
}

/** One request with exactly these headers (Host included), on its own connection. */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false, setHost: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text.startsWith('{') ? (JSON.parse(text) as Res['json']) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const SERVICES = '/apis/serving.knative.dev/v1/namespaces/default/services';
const HELLO = JSON.stringify({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name: 'hello' },
  spec: { template: { spec: { containers: [{ command: ['node', '-e', 'require("child_process").execSync("touch /tmp/pwned")'] }] } } },
});
const AUTH = `Bearer ${TOKEN}`;
const JSON_TYPE = 'application/json';

describe('control API guard (real sockets)', () => {
  it.each([
    ['localhost', 'localhost'],
    ['localhost:8081', 'localhost'],
    ['127.0.0.1:8081', '127.0.0.1'],
    ['[::1]:8081', '[::1]'],
    ['[::1]', '[::1]'],
    ['LOCALHOST', 'localhost'],
    ['evil.example:8081', 'evil.example'],
    ['a:b', undefined],
    ['[::1', undefined],
    ['', undefined],
  ])('hostName(%j) = %j', (host, want) => {
    expect(hostName(host)).toBe(want);
  });

  it('answers loopback names, with or without port, and configured names', async () => {
    const { port } = await start(['kdp.test']);
    for (const host of ['localhost', `localhost:${String(port)}`, `127.0.0.1:${String(port)}`, `[::1]:${String(port)}`, `kdp.test:${String(port)}`]) {
      const r = await send(port, 'GET', SERVICES, { host });
      expect(r.status, host).toBe(200);
    }
  });

  it('refuses a foreign Host (DNS rebinding), even with the credential, and creates nothing', async () => {
    const { port, cp } = await start();
    const host = `evil.example:${String(port)}`;
    const post = await send(port, 'POST', SERVICES, { host, 'content-type': JSON_TYPE, authorization: AUTH }, HELLO);
    expect(post.status).toBe(403);
    expect(post.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403 });
    expect(post.json.message).toBe(
      `Host "${host}" is not a name of this kdp server: the control API answers only to localhost, 127.0.0.1, [::1] ` +
        '(this stops web pages that rebind their own DNS name to 127.0.0.1); to use another name, start kdp serve with --api-allowed-hosts NAME',
    );
    expect((await send(port, 'GET', SERVICES, { host })).status).toBe(403);
    expect(cp.revisions.size).toBe(0);
  });

  it("refuses a cross-origin browser request, allows the API's own origin", async () => {
    const { port, cp } = await start();
    const host = `127.0.0.1:${String(port)}`;
    for (const origin of ['http://evil.example', 'null', `http://localhost:${String(port)}`, `https://${host}`]) {
      const r = await send(port, 'POST', SERVICES, { host, origin, 'content-type': JSON_TYPE, authorization: AUTH }, HELLO);
      expect(r.status, origin).toBe(403);
      expect(r.json.message).toBe(
        `cross-origin request refused: Origin ${JSON.stringify(origin)} is not the control API's own (http://${host}); web pages may not drive kdp — use the kdp CLI or curl`,
      );
    }
    expect((await send(port, 'GET', SERVICES, { host, origin: 'http://evil.example' })).status).toBe(403);
    expect(cp.revisions.size).toBe(0);
    const own = await send(port, 'POST', SERVICES, { host, origin: `http://${host}`, 'content-type': JSON_TYPE, authorization: AUTH }, HELLO);
    expect(own.status).toBe(201);
  });

  it('refuses a change without the credential or with a wrong one; reads need none', async () => {
    const { port, cp } = await start();
    const host = `127.0.0.1:${String(port)}`;
    const none = await send(port, 'POST', SERVICES, { host, 'content-type': JSON_TYPE }, HELLO);
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ reason: 'Unauthorized', code: 401 });
    expect(none.json.message).toBe(
      'POST changes the platform and needs kdp serve\'s local credential: the kdp CLI reads it from /home/u/.kdp/api-token ' +
        '(or $KDP_DATA_DIR/api-token, or KDP_API_TOKEN); with curl add -H "Authorization: Bearer $(cat /home/u/.kdp/api-token)"',
    );
    const wrong = await send(port, 'POST', SERVICES, { host, 'content-type': JSON_TYPE, authorization: 'Bearer nope' }, HELLO);
    expect(wrong.status).toBe(401);
    expect(wrong.json.message).toContain('the credential does not match');
    const del = await send(port, 'DELETE', `${SERVICES}/hello`, { host });
    expect(del.status).toBe(401);
    expect(cp.revisions.size).toBe(0);
    expect((await send(port, 'GET', SERVICES, { host })).status).toBe(200);
    expect((await send(port, 'GET', '/healthz', { host })).status).toBe(200);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=x'], [undefined]])(
    'refuses a body of type %s with 415 and creates nothing',
    async (type) => {
      const { port, cp } = await start();
      const host = `127.0.0.1:${String(port)}`;
      const r = await send(port, 'POST', SERVICES, { host, authorization: AUTH, ...(type !== undefined && { 'content-type': type }) }, HELLO);
      expect(r.status).toBe(415);
      expect(r.json).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
      expect(r.json.message).toBe(
        `POST ${SERVICES}: Content-Type ${type === undefined ? '(none)' : JSON.stringify(type)} is not accepted; send the object as application/json (kdp apply -f reads YAML and sends JSON)`,
      );
      expect(cp.revisions.size).toBe(0);
    },
  );

  it('lets a bodiless action through without a Content-Type (nothing to misread), still behind the credential', async () => {
    const { port } = await start();
    const host = `127.0.0.1:${String(port)}`;
    const r = await send(port, 'POST', SERVICES, { host, authorization: AUTH });
    expect(r.status).not.toBe(415);
    expect(r.json.reason).not.toBe('UnsupportedMediaType');
    expect((await send(port, 'POST', SERVICES, { host })).status).toBe(401);
  });

  it('says how large a too-large body is and what the limit is', async () => {
    const { port } = await start();
    const big = JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) });
    const r = await send(port, 'POST', SERVICES, { host: `127.0.0.1:${String(port)}`, authorization: AUTH, 'content-type': JSON_TYPE }, big);
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ reason: 'RequestEntityTooLarge', code: 413 });
    expect(r.json.message).toBe(
      `request body is ${String(Buffer.byteLength(big))} bytes; the control API accepts at most 1048576 bytes (1 MiB) per object. ` +
        'A Service is normally a few KiB: look for a large env value or a file pasted into it',
    );
  });
});
