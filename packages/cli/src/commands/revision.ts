// `kdp revision list|describe|delete`, kn's columns plus PODS, the pods running now, so scale to zero can be watched.

import { CliError, GLOBAL_OPTIONS, OUTPUT_OPTION, parse, positionals, UsageError } from '../args.js';
import { ApiStatusError } from '../client.js';
import { getCondition } from '../objects/conditions.js';
import { LABELS, type Revision, type Service } from '../objects/types.js';
import { commandLine, conditionCount, conditions, fields, generationOf, trafficOf } from '../print/describe.js';
import { age, outputFormat, serialise, table } from '../print/format.js';
import { context, WAIT_OPTIONS } from './context.js';
import type { Io } from '../io.js';

export async function revisionList(args: readonly string[], io: Io): Promise<number> {
  const command = 'revision list';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION, service: { type: 'string', short: 's' } }, command);
  const ctx = context(values, io);
  // kn also takes the service as an argument: `kn revision list hello`.
  const [service] = pos.length === 0 ? [values.service] : positionals(pos, ['SERVICE'], command);
  const format = outputFormat(values.output, command);
  const list = await ctx.client.list<Revision>('revisions', ctx.namespace, service === undefined ? undefined : `${LABELS.service}=${service}`);
  if (format !== 'text') {
    ctx.io.out(serialise(list, format));
    return 0;
  }
  if (list.items.length === 0) {
    ctx.io.out('No revisions found.\n');
    return 0;
  }
  const services = await ctx.client.list<Service>('services', ctx.namespace);
  const traffic = new Map(services.items.map((s) => [s.metadata.name, s.status.traffic]));
  const now = ctx.io.now();
  const svcOf = (r: Revision): string => r.metadata.labels?.[LABELS.service] ?? '';
  // kn: by service, newest generation first.
  const rows = [...list.items].sort((a, b) => (svcOf(a) < svcOf(b) ? -1 : svcOf(a) > svcOf(b) ? 1 : generationOf(b) - generationOf(a)));
  ctx.io.out(
    table(
      ['NAME', 'SERVICE', 'TRAFFIC', 'TAGS', 'GENERATION', 'AGE', 'PODS', 'CONDITIONS', 'READY', 'REASON'],
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
        ];
      }),
    ),
  );
  return 0;
}

export async function revisionDescribe(args: readonly string[], io: Io): Promise<number> {
  const command = 'revision describe';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  const format = outputFormat(values.output, command);
  const rev = await ctx.client.getRevision(ctx.namespace, name);
  if (format !== 'text') {
    ctx.io.out(serialise(rev, format));
    return 0;
  }
  const service = rev.metadata.labels?.[LABELS.service] ?? '';
  const svc = service === '' ? undefined : await ctx.client.find<Service>('services', ctx.namespace, service);
  const t = trafficOf(svc?.status.traffic, name);
  const c = rev.spec.containers[0];
  const a = rev.metadata.annotations ?? {};
  const now = ctx.io.now();
  const ready = getCondition(rev.status.conditions, 'Ready');
  let out = fields([
    ['Name', rev.metadata.name],
    ['Namespace', rev.metadata.namespace],
    ['Age', age(rev.metadata.creationTimestamp, now)],
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
  ]);
  if (ready?.status === 'False') out += fields([['Failure', `${ready.reason ?? ''}: ${ready.message ?? ''}`]]);
  out += `\n${conditions(rev.status.conditions, now)}`;
  ctx.io.out(out);
  return 0;
}

export async function revisionDelete(args: readonly string[], io: Io): Promise<number> {
  const command = 'revision delete';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...WAIT_OPTIONS }, command);
  const ctx = context(values, io);
  if (pos.length === 0) throw new UsageError(`'kdp ${command}' requires NAME…`, command);
  let failed = 0;
  for (const name of pos) {
    try {
      await ctx.client.delete('revisions', ctx.namespace, name, values['no-wait'] !== true);
      ctx.io.out(`Revision '${name}' deleted in namespace '${ctx.namespace}'.\n`);
    } catch (err) {
      if (!(err instanceof ApiStatusError)) throw err;
      ctx.io.err(`kdp: ${err.message}\n`);
      failed++;
    }
  }
  if (failed > 0) throw new CliError(`${failed} of ${pos.length} revisions not deleted`);
  return 0;
}
