// Who may talk to the control API. It binds to loopback, but a web page can still reach loopback: by DNS rebinding
// (its own name resolving to 127.0.0.1, so the browser sends `Host: evil.example`) or by a cross-site form/fetch
// (`Origin: https://evil.example`, often with a `text/plain` body to avoid a CORS preflight). Creating a Service
// runs a command, so every request passes these checks before its body is read:
//   1. Host must be a loopback name (localhost, 127.0.0.1, [::1], any port) or one the user configured;
//   2. an Origin, when present, must be the API's own (`http://` + that Host): browsers send it on cross-site requests;
//   3. calls that change something need the local credential (`Authorization: Bearer <token>` from the data dir);
//   4. request bodies must be `application/json` (the only type the API parses), so no form or text body is read.
// Refusals are Kubernetes Status bodies (403, 401, 415), made by the API's one error handler.

import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './api-errors.js';

export interface ApiGuardOptions {
  /** The credential of mutating calls (`kdp serve` writes it to `<data dir>/api-token`). */
  readonly token: string;
  /** Host names accepted besides the loopback ones (`--api-allowed-hosts`), lower case, without port. */
  readonly allowedHosts?: readonly string[];
  /** Where the token lives, for the 401 message. */
  readonly tokenFile?: string;
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** `host[:port]` → lower-case host (IPv6 keeps its brackets); undefined when it is not a Host value at all. */
export function hostName(hostHeader: string): string | undefined {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end === -1) return undefined;
    const rest = h.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  if (colon === -1) return h === '' ? undefined : h;
  if (!/^\d{1,5}$/.test(h.slice(colon + 1))) return undefined;
  return h.slice(0, colon);
}

export function installApiGuard(app: FastifyInstance, o: ApiGuardOptions): void {
  const allowed = new Set([...LOOPBACK_HOSTS, ...(o.allowedHosts ?? []).map((h) => h.toLowerCase())]);
  const expected = Buffer.from(`Bearer ${o.token}`);
  const tokenFile = o.tokenFile ?? '<data dir>/api-token';
  const hostList = [...allowed].join(', ');

  const check = (req: FastifyRequest): void => {
    const host = req.headers.host ?? '';
    const name = hostName(host);
    if (name === undefined || !allowed.has(name)) {
      throw new ApiError(
        403,
        'Forbidden',
        `Host ${JSON.stringify(host)} is not a name of this kdp server: the control API answers only to ${hostList} ` +
          `(this stops web pages that rebind their own DNS name to 127.0.0.1); to use another name, start kdp serve with --api-allowed-hosts NAME`,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) {
      throw new ApiError(
        403,
        'Forbidden',
        `cross-origin request refused: Origin ${JSON.stringify(origin)} is not the control API's own (http://${host}); ` +
          'web pages may not drive kdp — use the kdp CLI or curl',
      );
    }
    if (SAFE_METHODS.has(req.method)) return;
    const auth = req.headers.authorization;
    if (auth === undefined || auth === '') {
      throw new ApiError(
        401,
        'Unauthorized',
        `${req.method} changes the platform and needs kdp serve's local credential: the kdp CLI reads it from ${tokenFile} ` +
          `(or $KDP_DATA_DIR/api-token, or KDP_API_TOKEN); with curl add -H "Authorization: Bearer $(cat ${tokenFile})"`,
      );
    }
    const given = Buffer.from(auth);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ApiError(
        401,
        'Unauthorized',
        `the credential does not match this kdp serve's (it writes a new one to ${tokenFile} at every start): ` +
          'is KDP_DATA_DIR the data directory of the server you are talking to?',
      );
    }
    if (!WITH_BODY.has(req.method)) return;
    // A request without a body (an action such as redeliver) has nothing to misread: only bodies must be JSON.
    const length = req.headers['content-length'];
    if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return;
    const type = req.headers['content-type'];
    const media = type?.split(';', 1)[0]?.trim().toLowerCase();
    if (media !== 'application/json') {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `${req.method} ${req.url}: Content-Type ${type === undefined ? '(none)' : JSON.stringify(type)} is not accepted; ` +
          'send the object as application/json (kdp apply -f reads YAML and sends JSON)',
      );
    }
  };

  // onRequest runs before the body is read: a refused request costs no parsing, and nothing of it reaches a handler.
  app.addHook('onRequest', (req, _reply, done) => {
    try {
      check(req);
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  });
}
