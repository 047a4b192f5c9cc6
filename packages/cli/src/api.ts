// The control API: Knative's REST paths (`/apis/serving.knative.dev/v1/namespaces/:ns/<resource>[/:name]`) over
// the reconciler, so that anything speaking Kubernetes-style JSON (the `kdp` CLI, curl, a script) can drive the
// local platform. Errors are Kubernetes `Status` bodies, made in one place (api-errors.ts). Binds to 127.0.0.1 by
// default; api-guard.ts refuses foreign Hosts and Origins, non-JSON bodies, and changes without the local credential.

import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { dns1123LabelErrors } from '@kdp/router';
import { ApiError, toStatus, type KubeStatus } from './api-errors.js';
import { installApiGuard, type ApiGuardOptions } from './api-guard.js';
import { BODY_LIMIT_BYTES } from './api-limits.js';
import { InvalidObjectError } from './objects/service-input.js';
import { API_PREFIX, API_VERSION, GROUP, type KnativeObject, type ObjectList } from './objects/types.js';
import { parseLabelSelector, type Reconciler } from './reconciler.js';


interface NsParams {
  ns: string;
}
interface NameParams extends NsParams {
  name: string;
}
interface ListQuery {
  labelSelector?: string;
}

export function buildApi(reconciler: Reconciler, guard: ApiGuardOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES });
  // JSON only: fastify's default text/plain parser would let a cross-site form post a body without a preflight.
  app.removeContentTypeParser('text/plain');
  installApiGuard(app, guard);

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    const status = toStatus(normalise(err, req));
    void reply.code(status.code).send(status);
  });
  app.setNotFoundHandler((req, reply) => {
    const status = toStatus(new ApiError(404, 'NotFound', `the server could not find the requested resource (${req.method} ${req.url})`));
    void reply.code(404).send(status);
  });

  app.get('/healthz', () => 'ok');

  const lists = <T extends KnativeObject>(kind: T['kind'], items: T[]): ObjectList<T> => ({
    apiVersion: API_VERSION,
    kind: `${kind}List`,
    metadata: {},
    items,
  });

  // Services: the one kind clients write.
  app.get<{ Querystring: ListQuery }>(`${API_PREFIX}/services`, (req) =>
    lists('Service', reconciler.listServices(undefined, parseLabelSelector(req.query.labelSelector))),
  );
  app.get<{ Params: NsParams; Querystring: ListQuery }>(`${API_PREFIX}/namespaces/:ns/services`, (req) =>
    lists('Service', reconciler.listServices(ns(req.params), parseLabelSelector(req.query.labelSelector))),
  );
  app.post<{ Params: NsParams }>(`${API_PREFIX}/namespaces/:ns/services`, async (req, reply) => {
    const svc = await reconciler.createService(ns(req.params), req.body);
    return reply.code(201).send(svc);
  });
  app.get<{ Params: NameParams }>(`${API_PREFIX}/namespaces/:ns/services/:name`, (req) =>
    reconciler.getService(ns(req.params), req.params.name),
  );
  app.put<{ Params: NameParams }>(`${API_PREFIX}/namespaces/:ns/services/:name`, (req) =>
    reconciler.replaceService(ns(req.params), req.params.name, req.body),
  );
  app.delete<{ Params: NameParams; Querystring: { wait?: string } }>(`${API_PREFIX}/namespaces/:ns/services/:name`, async (req) => {
    // `?wait=false`: answer once the objects and routes are gone, without waiting for the pods to drain.
    await reconciler.deleteService(ns(req.params), req.params.name, req.query.wait !== 'false');
    return success(req.params.name, 'services');
  });

  // Revisions: read and delete (they are created by changing a Service).
  app.get<{ Querystring: ListQuery }>(`${API_PREFIX}/revisions`, (req) =>
    lists('Revision', reconciler.listRevisions(undefined, parseLabelSelector(req.query.labelSelector))),
  );
  app.get<{ Params: NsParams; Querystring: ListQuery }>(`${API_PREFIX}/namespaces/:ns/revisions`, (req) =>
    lists('Revision', reconciler.listRevisions(ns(req.params), parseLabelSelector(req.query.labelSelector))),
  );
  app.get<{ Params: NameParams }>(`${API_PREFIX}/namespaces/:ns/revisions/:name`, (req) =>
    reconciler.getRevision(ns(req.params), req.params.name),
  );
  app.delete<{ Params: NameParams; Querystring: { wait?: string } }>(`${API_PREFIX}/namespaces/:ns/revisions/:name`, async (req) => {
    await reconciler.deleteRevision(ns(req.params), req.params.name, req.query.wait !== 'false');
    return success(req.params.name, 'revisions');
  });

  // Configurations and Routes: read only (owned by their Service).
  for (const [resource, kind] of [
    ['configurations', 'Configuration'],
    ['routes', 'Route'],
  ] as const) {
    const listOf = (n: string | undefined, sel: string | undefined): KnativeObject[] =>
      kind === 'Route' ? reconciler.listRoutes(n, parseLabelSelector(sel)) : reconciler.listConfigurations(n, parseLabelSelector(sel));
    app.get<{ Querystring: ListQuery }>(`${API_PREFIX}/${resource}`, (req) => ({
      apiVersion: API_VERSION,
      kind: `${kind}List`,
      metadata: {},
      items: listOf(undefined, req.query.labelSelector),
    }));
    app.get<{ Params: NsParams; Querystring: ListQuery }>(`${API_PREFIX}/namespaces/:ns/${resource}`, (req) => ({
      apiVersion: API_VERSION,
      kind: `${kind}List`,
      metadata: {},
      items: listOf(ns(req.params), req.query.labelSelector),
    }));
    app.get<{ Params: NameParams }>(`${API_PREFIX}/namespaces/:ns/${resource}/:name`, (req) =>
      kind === 'Route' ? reconciler.getRoute(ns(req.params), req.params.name) : reconciler.getConfiguration(ns(req.params), req.params.name),
    );
  }

  return app;
}

function ns(params: NsParams): string {
  const errs = dns1123LabelErrors(params.ns);
  if (errs.length > 0) throw new ApiError(400, 'BadRequest', `invalid namespace ${JSON.stringify(params.ns)}: ${errs.join(', ')}`);
  return params.ns;
}

function success(name: string, kind: string): KubeStatus {
  return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', details: { name, group: GROUP, kind }, code: 200 };
}

/** fastify's own errors (bad JSON, wrong content type, body too large) keep their status and message. */
function normalise(err: FastifyError | Error, req: FastifyRequest): unknown {
  if (err instanceof ApiError || err instanceof InvalidObjectError) return err;
  const statusCode = (err as FastifyError).statusCode;
  if (statusCode === 413) {
    const length = req.headers['content-length'];
    const size = length === undefined ? 'larger than that' : `${length} bytes`;
    return new ApiError(
      413,
      'RequestEntityTooLarge',
      `request body is ${size}; the control API accepts at most ${String(BODY_LIMIT_BYTES)} bytes (1 MiB) per object. ` +
        'A Service is normally a few KiB: look for a large env value or a file pasted into it',
    );
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new ApiError(statusCode, statusCode === 405 ? 'MethodNotAllowed' : 'BadRequest', err.message);
  }
  return err;
}
