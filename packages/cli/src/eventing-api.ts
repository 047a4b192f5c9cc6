// The control API's Eventing paths, as Knative serves them: `/apis/eventing.knative.dev/v1/namespaces/:ns/brokers`
// and `.../triggers`, `/apis/sources.knative.dev/v1/namespaces/:ns/pingsources` (list, create, get, replace,
// delete), plus kdp's dead letters of a Broker under `/apis/eventing.kdp.dev/v1/namespaces/:ns/brokers/:name/
// deadletters` (GET lists, POST `.../redeliver` puts them back into delivery). Errors go through the API's one
// error handler (api.ts).

import type { FastifyInstance } from 'fastify';
import { dns1123LabelErrors } from '@kdp/router';
import { toStructured, type BrokerEngine } from '@kdp/eventing';
import { ApiError } from './api-errors.js';
import type { EventingReconciler } from './eventing-reconciler.js';
import { EVENTING_PREFIX, EVENTING_RESOURCES, KDP_EVENTING_PREFIX, SOURCES_PREFIX, type DeadLetterView, type EventingKind } from './objects/eventing-types.js';

interface NsParams {
  ns: string;
}
interface NameParams extends NsParams {
  name: string;
}

export function registerEventingApi(app: FastifyInstance, rec: EventingReconciler, engine: BrokerEngine): void {
  for (const kind of ['Broker', 'Trigger', 'PingSource'] as const satisfies readonly EventingKind[]) {
    const r = EVENTING_RESOURCES[kind];
    const prefix = kind === 'PingSource' ? SOURCES_PREFIX : EVENTING_PREFIX;
    const list = (ns: string | undefined): unknown => ({ apiVersion: r.apiVersion, kind: `${kind}List`, metadata: {}, items: rec.list(kind, ns) });
    app.get(`${prefix}/${r.plural}`, () => list(undefined));
    app.get<{ Params: NsParams }>(`${prefix}/namespaces/:ns/${r.plural}`, (req) => list(ns(req.params)));
    app.post<{ Params: NsParams }>(`${prefix}/namespaces/:ns/${r.plural}`, async (req, reply) => reply.code(201).send(await rec.create(kind, ns(req.params), req.body)));
    app.get<{ Params: NameParams }>(`${prefix}/namespaces/:ns/${r.plural}/:name`, (req) => rec.get(kind, ns(req.params), req.params.name));
    app.put<{ Params: NameParams }>(`${prefix}/namespaces/:ns/${r.plural}/:name`, (req) => rec.replace(kind, ns(req.params), req.params.name, req.body));
    app.delete<{ Params: NameParams }>(`${prefix}/namespaces/:ns/${r.plural}/:name`, async (req) => {
      await rec.delete(kind, ns(req.params), req.params.name);
      return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', details: { name: req.params.name, group: r.group, kind: r.plural }, code: 200 };
    });
  }

  const deadLetters = async (n: string, broker: string, trigger: string | undefined): Promise<DeadLetterView[]> => {
    rec.get('Broker', n, broker);
    const triggers = new Set(rec.list('Trigger', n).filter((t) => t.spec.broker === broker).map((t) => `${n}/${t.metadata.name}`));
    const views: DeadLetterView[] = [];
    for (const dl of await engine.deadLetters(trigger === undefined ? undefined : `${n}/${trigger}`)) {
      if (dl.event.broker !== `${n}/${broker}` && !triggers.has(dl.trigger)) continue;
      views.push({
        seq: dl.seq,
        trigger: dl.trigger.slice(dl.trigger.indexOf('/') + 1),
        attempts: dl.attempts,
        code: dl.code,
        error: dl.error,
        deadAt: new Date(dl.deadMs).toISOString(),
        event: toStructured(dl.event.event),
      });
    }
    return views;
  };
  app.get<{ Params: NameParams; Querystring: { trigger?: string } }>(`${KDP_EVENTING_PREFIX}/namespaces/:ns/brokers/:name/deadletters`, async (req) => ({
    kind: 'DeadLetterList',
    items: await deadLetters(ns(req.params), req.params.name, req.query.trigger),
  }));
  app.post<{ Params: NameParams; Querystring: { trigger?: string } }>(`${KDP_EVENTING_PREFIX}/namespaces/:ns/brokers/:name/deadletters/redeliver`, async (req) => {
    const n = ns(req.params);
    const views = await deadLetters(n, req.params.name, req.query.trigger);
    const byTrigger = new Map<string, Set<number>>();
    for (const v of views) {
      const s = byTrigger.get(v.trigger) ?? new Set<number>();
      s.add(v.seq);
      byTrigger.set(v.trigger, s);
    }
    let redelivered = 0;
    for (const [t, seqs] of byTrigger) redelivered += await engine.redeliver(`${n}/${t}`, seqs);
    return { kind: 'Redelivered', redelivered };
  });
}

function ns(params: NsParams): string {
  const errs = dns1123LabelErrors(params.ns);
  if (errs.length > 0) throw new ApiError(400, 'BadRequest', `invalid namespace ${JSON.stringify(params.ns)}: ${errs.join(', ')}`);
  return params.ns;
}
