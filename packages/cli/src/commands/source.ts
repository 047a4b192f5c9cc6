// `kdp source ping create|update|list|describe|delete`, shaped like kn's ping source commands.

import { scheduleProblems } from '@kdp/eventing';
import { GLOBAL_OPTIONS, OUTPUT_OPTION, parse, parseKeyValueEdits, positionals, UsageError } from '../args.js';
import { getCondition } from '../objects/conditions.js';
import type { PingSource } from '../objects/eventing-types.js';
import { conditionCount, conditions, fields, metadataFields } from '../print/describe.js';
import { age, outputFormat, printListHead, printSerialised, table } from '../print/format.js';
import { context, describeArgs } from './context.js';
import { getOf, listOf, pathOf, resolveSink, sinkText } from './eventing-flags.js';
import type { Io } from '../io.js';

const PING_OPTIONS = {
  sink: { type: 'string', short: 's' },
  schedule: { type: 'string' },
  timezone: { type: 'string' },
  data: { type: 'string', short: 'd' },
  encoding: { type: 'string', short: 'e' },
  'ce-override': { type: 'string', multiple: true },
} as const;

export async function pingCreate(args: readonly string[], io: Io): Promise<number> {
  const command = 'source ping create';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...PING_OPTIONS }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  if (values.sink === undefined) throw new UsageError(`'kdp source ping create' requires --sink (ksvc:NAME, broker:NAME or a URL)`, command);
  const spec = specOf(values, command);
  spec.sink = await resolveSink(ctx.client, values.sink, ctx.namespace, 'sink', command);
  await ctx.client.call('POST', pathOf('PingSource', ctx.namespace), { apiVersion: 'sources.knative.dev/v1', kind: 'PingSource', metadata: { name, namespace: ctx.namespace }, spec });
  ctx.io.out(`Ping source '${name}' created in namespace '${ctx.namespace}'.\n`);
  return 0;
}

export async function pingUpdate(args: readonly string[], io: Io): Promise<number> {
  const command = 'source ping update';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...PING_OPTIONS }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  const p = await getOf<PingSource>(ctx.client, 'PingSource', ctx.namespace, name);
  const edits = specOf(values, command);
  const spec = { ...p.spec, ...edits };
  if (values.sink !== undefined) spec.sink = await resolveSink(ctx.client, values.sink, ctx.namespace, 'sink', command);
  if (edits.data !== undefined) delete spec.dataBase64;
  if (edits.dataBase64 !== undefined) delete spec.data;
  await ctx.client.call('PUT', pathOf('PingSource', ctx.namespace, name), { apiVersion: p.apiVersion, kind: p.kind, metadata: p.metadata, spec });
  ctx.io.out(`Ping source '${name}' updated in namespace '${ctx.namespace}'.\n`);
  return 0;
}

function specOf(
  values: { schedule?: string | undefined; timezone?: string | undefined; data?: string | undefined; encoding?: string | undefined; 'ce-override'?: string[] | undefined },
  command: string,
): PingSource['spec'] {
  const spec: PingSource['spec'] = { sink: {} };
  if (values.schedule !== undefined || values.timezone !== undefined) {
    const problems = scheduleProblems(values.schedule ?? '* * * * *', values.timezone);
    if (problems.length > 0) throw new UsageError(problems.join('\n'), command);
  }
  if (values.schedule !== undefined) spec.schedule = values.schedule;
  if (values.timezone !== undefined) spec.timezone = values.timezone;
  const enc = values.encoding ?? 'text';
  if (enc !== 'text' && enc !== 'base64') throw new UsageError(`--encoding ${JSON.stringify(enc)}: expected text or base64`, command);
  if (values.data !== undefined) {
    if (enc === 'base64') spec.dataBase64 = values.data;
    else spec.data = values.data;
  }
  const ext: Record<string, string> = {};
  for (const o of parseKeyValueEdits(values['ce-override'], 'ce-override', command)) if (o.kind === 'set') ext[o.key] = o.value;
  if (Object.keys(ext).length > 0) spec.ceOverrides = { extensions: ext };
  return spec;
}

export async function pingList(args: readonly string[], io: Io): Promise<number> {
  const command = 'source ping list';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION }, command);
  const ctx = context(values, io);
  positionals(pos, [], command);
  const format = outputFormat(values.output, command);
  const list = await listOf<PingSource>(ctx.client, 'PingSource', ctx.namespace);
  if (printListHead(ctx.io, format, list, 'Ping sources')) return 0;
  const now = ctx.io.now();
  ctx.io.out(
    table(
      ['NAME', 'SCHEDULE', 'SINK', 'AGE', 'CONDITIONS', 'READY', 'REASON'],
      list.items.map((p) => {
        const ready = getCondition(p.status.conditions, 'Ready');
        return [p.metadata.name, p.spec.schedule ?? '', sinkText(p.spec.sink), age(p.metadata.creationTimestamp, now), conditionCount(p.status.conditions), ready?.status ?? 'Unknown', ready?.reason ?? ''];
      }),
    ),
  );
  return 0;
}

export async function pingDescribe(args: readonly string[], io: Io): Promise<number> {
  const { ctx, name, format } = describeArgs(args, io, 'source ping describe');
  const p = await getOf<PingSource>(ctx.client, 'PingSource', ctx.namespace, name);
  if (printSerialised(ctx.io, format, p)) return 0;
  const now = ctx.io.now();
  let out = fields([
    ...metadataFields(p.metadata, now),
    ['Schedule', p.spec.schedule],
    ['Timezone', p.spec.timezone],
    ['Data', p.spec.data ?? p.spec.dataBase64],
  ]);
  out += `\nSink:\n${fields([['Sink', sinkText(p.spec.sink)], ['URI', p.status.sinkUri]], '  ')}`;
  const ext = Object.entries(p.spec.ceOverrides?.extensions ?? {});
  if (ext.length > 0) out += `\nCloudEvent Overrides:\n${fields(ext, '  ')}`;
  out += `\n${conditions(p.status.conditions, now)}`;
  ctx.io.out(out);
  return 0;
}

export async function pingDelete(args: readonly string[], io: Io): Promise<number> {
  const command = 'source ping delete';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  await ctx.client.call('DELETE', pathOf('PingSource', ctx.namespace, name));
  ctx.io.out(`Ping source '${name}' deleted in namespace '${ctx.namespace}'.\n`);
  return 0;
}
