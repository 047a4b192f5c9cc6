// `kdp service create|update|list|describe|delete`, shaped like kn's service commands (same flags where kn has
// them, same sentences on success).

import { GLOBAL_OPTIONS, intFlag, OUTPUT_OPTION, parse, positionals, UsageError } from '../args.js';
import { ApiStatusError } from '../client.js';
import { getCondition } from '../objects/conditions.js';
import { LABELS, type Revision, type Service } from '../objects/types.js';
import { conditionCount, conditions, commandLine, fields, generationOf, metadataFields, targetLine } from '../print/describe.js';
import { age, outputFormat, printListHead, printSerialised, table } from '../print/format.js';
import { liveFields } from '../print/live.js';
import { DEFAULT_WAIT_TIMEOUT_S, waitForReady } from '../wait.js';
import { context, describeArgs, WAIT_OPTIONS } from './context.js';
import { deleteObjects } from './delete.js';
import type { Io } from '../io.js';
import { bodyOf, editTemplate, emptyService, TEMPLATE_OPTIONS } from './template-flags.js';
import { computeTraffic, hasTrafficFlags, TRAFFIC_OPTIONS } from './traffic-flags.js';
import { SINK_OPTIONS, sinkEnv } from './sink-binding.js';

/** Attempts of read-modify-write when another client changed the Service in between (HTTP 409 Conflict). */
const UPDATE_ATTEMPTS = 3;

export async function serviceCreate(args: readonly string[], io: Io): Promise<number> {
  const command = 'service create';
  const { values: flags, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...TEMPLATE_OPTIONS, ...WAIT_OPTIONS, ...SINK_OPTIONS }, command);
  const ctx = context(flags, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  const values = { ...flags, env: [...(flags.env ?? []), ...(await sinkEnv(ctx.client, flags, ctx.namespace, command))] };
  if (values.cmd === undefined) {
    throw new UsageError(`'kdp service create' requires --cmd "PROGRAM ARGS…": the process to run (kdp runs local processes, not images)`, command);
  }
  const timeoutS = intFlag(values['wait-timeout'], 'wait-timeout', command, 1) ?? DEFAULT_WAIT_TIMEOUT_S;
  const body = emptyService(name, ctx.namespace);
  editTemplate(body, values, { command, cwd: ctx.io.cwd, generation: 0 });
  await ctx.client.createService(ctx.namespace, body);
  if (values['no-wait'] === true) {
    ctx.io.out(`Service '${name}' created in namespace '${ctx.namespace}'.\n`);
    return 0;
  }
  ctx.io.out(`Creating service '${name}' in namespace '${ctx.namespace}':\n\n`);
  const svc = await waitForReady(ctx.client, ctx.namespace, name, ctx.io, timeoutS);
  ctx.io.out(`\nService '${name}' created to latest revision '${svc.status.latestReadyRevisionName ?? ''}' is available at URL:\n${svc.status.url ?? ''}\n`);
  return 0;
}

export async function serviceUpdate(args: readonly string[], io: Io): Promise<number> {
  const command = 'service update';
  const { values: flags, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...TEMPLATE_OPTIONS, ...TRAFFIC_OPTIONS, ...WAIT_OPTIONS, ...SINK_OPTIONS }, command);
  const ctx = context(flags, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  const extraEnv = await sinkEnv(ctx.client, flags, ctx.namespace, command);
  const values = extraEnv.length === 0 ? flags : { ...flags, env: [...(flags.env ?? []), ...extraEnv] };
  const timeoutS = intFlag(values['wait-timeout'], 'wait-timeout', command, 1) ?? DEFAULT_WAIT_TIMEOUT_S;
  let before: Service | undefined;
  let templateChanged = false;
  for (let attempt = 1; ; attempt++) {
    const current = await ctx.client.getService(ctx.namespace, name);
    before = current;
    const body = bodyOf(current);
    templateChanged = editTemplate(body, values, { command, cwd: ctx.io.cwd, generation: current.metadata.generation });
    if (hasTrafficFlags(values)) body.spec.traffic = computeTraffic(body.spec.traffic, values, command);
    try {
      await ctx.client.replaceService(ctx.namespace, name, body);
      break;
    } catch (err) {
      if (!(err instanceof ApiStatusError && err.reason === 'Conflict') || attempt >= UPDATE_ATTEMPTS) throw err;
    }
  }
  if (values['no-wait'] === true) {
    ctx.io.out(`Service '${name}' updated in namespace '${ctx.namespace}'.\n`);
    return 0;
  }
  ctx.io.out(`Updating Service '${name}' in namespace '${ctx.namespace}':\n\n`);
  const svc = await waitForReady(ctx.client, ctx.namespace, name, ctx.io, timeoutS);
  const latest = svc.status.latestReadyRevisionName ?? '';
  const unchanged = !templateChanged && latest === before.status.latestReadyRevisionName;
  ctx.io.out(
    unchanged
      ? `\nService '${name}' with latest revision '${latest}' (unchanged) is available at URL:\n${svc.status.url ?? ''}\n`
      : `\nService '${name}' updated to latest revision '${latest}' is available at URL:\n${svc.status.url ?? ''}\n`,
  );
  return 0;
}

export async function serviceList(args: readonly string[], io: Io): Promise<number> {
  const command = 'service list';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION }, command);
  const ctx = context(values, io);
  positionals(pos, [], command);
  const format = outputFormat(values.output, command);
  const list = await ctx.client.list<Service>('services', ctx.namespace);
  if (printListHead(ctx.io, format, list, 'services')) return 0;
  const now = ctx.io.now();
  ctx.io.out(
    table(
      ['NAME', 'URL', 'LATEST', 'AGE', 'CONDITIONS', 'READY', 'REASON'],
      list.items.map((s) => {
        const ready = getCondition(s.status.conditions, 'Ready');
        return [
          s.metadata.name,
          s.status.url ?? '',
          s.status.latestReadyRevisionName ?? '',
          age(s.metadata.creationTimestamp, now),
          conditionCount(s.status.conditions),
          ready?.status ?? 'Unknown',
          ready?.reason ?? '',
        ];
      }),
    ),
  );
  return 0;
}

export async function serviceDescribe(args: readonly string[], io: Io): Promise<number> {
  const { ctx, name, format } = describeArgs(args, io, 'service describe');
  const svc = await ctx.client.getService(ctx.namespace, name);
  if (printSerialised(ctx.io, format, svc)) return 0;
  const revs = await ctx.client.list<Revision>('revisions', ctx.namespace, `${LABELS.service}=${name}`);
  const byName = new Map(revs.items.map((r) => [r.metadata.name, r]));
  const now = ctx.io.now();
  let out = fields([
    ...metadataFields(svc.metadata, now),
    ['URL', svc.status.url],
  ]);
  out += '\nRevisions:\n';
  const listed = new Set<string>();
  for (const t of svc.status.traffic ?? []) {
    out += `  ${targetLine(t)}`;
    const rev = t.revisionName === undefined ? undefined : byName.get(t.revisionName);
    if (rev !== undefined) out += ` [${generationOf(rev)}] (${age(rev.metadata.creationTimestamp, now)})`;
    out += '\n';
    if (t.url !== undefined) out += fields([['URL', t.url]], '         ');
    if (rev !== undefined && !listed.has(rev.metadata.name)) {
      listed.add(rev.metadata.name);
      out += fields([['Command', commandLine(rev)], ...liveFields(rev)], '         ');
    }
  }
  const lc = svc.status.latestCreatedRevisionName;
  if (lc !== undefined && !listed.has(lc)) {
    const rev = byName.get(lc);
    const ready = getCondition(rev?.status.conditions, 'Ready');
    out += `  ${'+'.padStart(5)}  ${lc} (current @latest, ${ready?.status === 'False' ? 'failed' : 'not ready yet'})`;
    out += rev === undefined ? '\n' : ` [${generationOf(rev)}] (${age(rev.metadata.creationTimestamp, now)})\n`;
    if (rev !== undefined) out += fields([['Command', commandLine(rev)]], '         ');
  }
  out += `\n${conditions(svc.status.conditions, now)}`;
  ctx.io.out(out);
  return 0;
}

export function serviceDelete(args: readonly string[], io: Io): Promise<number> {
  return deleteObjects(args, io, {
    command: 'service delete',
    resource: 'services',
    deleted: (name, ns) => `Service '${name}' successfully deleted in namespace '${ns}'.\n`,
  });
}
