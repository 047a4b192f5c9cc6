// `kdp revision list|describe|delete`, kn's columns plus PODS, the pods running now, so scale to zero can be watched.

import { GLOBAL_OPTIONS, OUTPUT_OPTION, parse, positionals } from '../args.js';
import { getCondition } from '../objects/conditions.js';
import { LABELS, type Revision, type Service } from '../objects/types.js';
import { commandLine, conditionCount, conditions, fields, generationOf, metadataFields, trafficOf } from '../print/describe.js';
import { age, outputFormat, printListHead, printSerialised, table } from '../print/format.js';
import { LIVE_COLUMNS, liveCells, liveFields } from '../print/live.js';
import { context, describeArgs } from './context.js';
import { deleteObjects } from './delete.js';
import type { Io } from '../io.js';

export async function revisionList(args: readonly string[], io: Io): Promise<number> {
  const command = 'revision list';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION, service: { type: 'string', short: 's' } }, command);
  const ctx = context(values, io);
  // kn also takes the service as an argument: `kn revision list hello`.
  const [service] = pos.length === 0 ? [values.service] : positionals(pos, ['SERVICE'], command);
  // `-o wide`: kn's columns plus the live numbers (requests per second, in flight, p50/p99, last cold start).
  const wide = values.output === 'wide';
  const format = wide ? 'text' : outputFormat(values.output, command);
  const list = await ctx.client.list<Revision>('revisions', ctx.namespace, service === undefined ? undefined : `${LABELS.service}=${service}`);
  if (printListHead(ctx.io, format, list, 'revisions')) return 0;
  const services = await ctx.client.list<Service>('services', ctx.namespace);
  const traffic = new Map(services.items.map((s) => [s.metadata.name, s.status.traffic]));
  const now = ctx.io.now();
  const svcOf = (r: Revision): string => r.metadata.labels?.[LABELS.service] ?? '';
  // kn: by service, newest generation first.
  const rows = [...list.items].sort((a, b) => (svcOf(a) < svcOf(b) ? -1 : svcOf(a) > svcOf(b) ? 1 : generationOf(b) - generationOf(a)));
  ctx.io.out(
    table(
      ['NAME', 'SERVICE', 'TRAFFIC', 'TAGS', 'GENERATION', 'AGE', 'PODS', 'CONDITIONS', 'READY', 'REASON', ...(wide ? LIVE_COLUMNS : [])],
      rows.map((r) => {
        const t = trafficOf(traffic.get(svcOf(r)), r.metadata.name);
        const ready = getCondition(r.status.conditions, 'Ready');
        return [
          r.metadata.name,
          svcOf(r),
          t.percent > 0 ? `${t.percent}%` : '',
          t.tags.join(','),
          String(generationOf(r)),
          age(r.metadata.creationTimestamp, now),
          String(r.status.actualReplicas ?? 0),
          conditionCount(r.status.conditions),
          ready?.status ?? 'Unknown',
          ready?.status === 'True' ? '' : (ready?.reason ?? ''),
          ...(wide ? liveCells(r) : []),
        ];
      }),
    ),
  );
  return 0;
}

export async function revisionDescribe(args: readonly string[], io: Io): Promise<number> {
  const { ctx, name, format } = describeArgs(args, io, 'revision describe');
  const rev = await ctx.client.getRevision(ctx.namespace, name);
  if (printSerialised(ctx.io, format, rev)) return 0;
  const service = rev.metadata.labels?.[LABELS.service] ?? '';
  const svc = service === '' ? undefined : await ctx.client.find<Service>('services', ctx.namespace, service);
  const t = trafficOf(svc?.status.traffic, name);
  const c = rev.spec.containers[0];
  const a = rev.metadata.annotations ?? {};
  const now = ctx.io.now();
  const ready = getCondition(rev.status.conditions, 'Ready');
  let out = fields([
    ...metadataFields(rev.metadata, now),
    ['Command', commandLine(rev)],
    ['Working dir', c?.workingDir],
    ['Env', c?.env?.map((e) => `${e.name}=${e.value}`).join(', ')],
    ['Port', c?.ports?.[0] === undefined ? undefined : String(c.ports[0].containerPort)],
    ['Annotations', Object.entries(a).map(([k, v]) => `${k}=${v}`).join(', ')],
    ['Concurrency limit', String(rev.spec.containerConcurrency ?? 0)],
    ['Timeout', `${rev.spec.timeoutSeconds ?? 300}s`],
    ['Service', service],
    ['Traffic', `${t.percent}%${t.latest ? ' (@latest)' : ''}${t.tags.map((x) => ` #${x}`).join('')}`],
    ['Pods', `${rev.status.actualReplicas ?? 0} (desired ${rev.status.desiredReplicas ?? 0})`],
    ...liveFields(rev),
  ]);
  if (ready?.status === 'False') out += fields([['Failure', `${ready.reason ?? ''}: ${ready.message ?? ''}`]]);
  out += `\n${conditions(rev.status.conditions, now)}`;
  ctx.io.out(out);
  return 0;
}

export function revisionDelete(args: readonly string[], io: Io): Promise<number> {
  return deleteObjects(args, io, {
    command: 'revision delete',
    resource: 'revisions',
    deleted: (name, ns) => `Revision '${name}' deleted in namespace '${ns}'.\n`,
  });
}
