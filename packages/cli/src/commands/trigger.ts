// `kdp trigger create|update|list|describe|delete`, shaped like kn's trigger commands (`--broker`, `--sink`,
// `--filter k=v`, `--filter k-` to remove on update), with kn's messages.

import { GLOBAL_OPTIONS, OUTPUT_OPTION, parse, parseKeyValueEdits, positionals, UsageError } from '../args.js';
import { ApiStatusError } from '../client.js';
import { getCondition } from '../objects/conditions.js';
import type { Trigger } from '../objects/eventing-types.js';
import { conditionCount, conditions, fields, metadataFields } from '../print/describe.js';
import { age, outputFormat, printListHead, printSerialised, table } from '../print/format.js';
import { context, describeArgs } from './context.js';
import { exists, getOf, listOf, pathOf, resolveSink, sinkText } from './eventing-flags.js';
import type { Io } from '../io.js';

const TRIGGER_OPTIONS = {
  broker: { type: 'string' },
  sink: { type: 'string', short: 's' },
  filter: { type: 'string', multiple: true },
  annotation: { type: 'string', short: 'a', multiple: true },
} as const;

/** Attempts of read-modify-write when the Trigger changed in between (409). */
const UPDATE_ATTEMPTS = 3;

export async function triggerCreate(args: readonly string[], io: Io): Promise<number> {
  const command = 'trigger create';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...TRIGGER_OPTIONS }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  if (values.sink === undefined) throw new UsageError(`'kdp trigger create' requires --sink (ksvc:NAME, broker:NAME or a URL)`, command);
  const filters = parseKeyValueEdits(values.filter, 'filter', command);
  const attributes: Record<string, string> = {};
  for (const f of filters) {
    if (f.kind === 'unset') throw new UsageError(`--filter ${JSON.stringify(`${f.key}-`)}: expected KEY=VALUE (KEY- removes a filter on update)`, command);
    attributes[f.key] = f.value;
  }
  const annotations: Record<string, string> = {};
  for (const a of parseKeyValueEdits(values.annotation, 'annotation', command)) if (a.kind === 'set') annotations[a.key] = a.value;
  const broker = values.broker ?? 'default';
  if (!(await exists(ctx.client, pathOf('Broker', ctx.namespace, broker)))) {
    throw new UsageError(`broker ${JSON.stringify(broker)} not found in namespace ${JSON.stringify(ctx.namespace)}; create it with 'kdp broker create ${broker}'`, command);
  }
  const subscriber = await resolveSink(ctx.client, values.sink, ctx.namespace, 'sink', command);
  const body = {
    apiVersion: 'eventing.knative.dev/v1',
    kind: 'Trigger',
    metadata: { name, namespace: ctx.namespace, ...(Object.keys(annotations).length > 0 && { annotations }) },
    spec: { broker, ...(Object.keys(attributes).length > 0 && { filter: { attributes } }), subscriber },
  };
  await ctx.client.call('POST', pathOf('Trigger', ctx.namespace), body);
  ctx.io.out(`Trigger '${name}' successfully created in namespace '${ctx.namespace}'.\n`);
  return 0;
}

export async function triggerUpdate(args: readonly string[], io: Io): Promise<number> {
  const command = 'trigger update';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...TRIGGER_OPTIONS }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  if (values.broker !== undefined) throw new UsageError('the broker of a trigger cannot be changed (spec.broker is immutable); delete and recreate it', command);
  const filters = parseKeyValueEdits(values.filter, 'filter', command);
  const annotations = parseKeyValueEdits(values.annotation, 'annotation', command);
  const subscriber = values.sink === undefined ? undefined : await resolveSink(ctx.client, values.sink, ctx.namespace, 'sink', command);
  for (let attempt = 1; ; attempt++) {
    const t = await getOf<Trigger>(ctx.client, 'Trigger', ctx.namespace, name);
    const attrs = { ...(t.spec.filter?.attributes ?? {}) };
    for (const f of filters) {
      if (f.kind === 'set') attrs[f.key] = f.value;
      else delete attrs[f.key];
    }
    if (Object.keys(attrs).length > 0) t.spec.filter = { attributes: attrs };
    else delete t.spec.filter;
    if (subscriber !== undefined) t.spec.subscriber = subscriber;
    const ann = { ...(t.metadata.annotations ?? {}) };
    for (const a of annotations) {
      if (a.kind === 'set') ann[a.key] = a.value;
      else delete ann[a.key];
    }
    t.metadata.annotations = ann;
    try {
      await ctx.client.call('PUT', pathOf('Trigger', ctx.namespace, name), { apiVersion: t.apiVersion, kind: t.kind, metadata: t.metadata, spec: t.spec });
      break;
    } catch (err) {
      if (!(err instanceof ApiStatusError && err.reason === 'Conflict') || attempt >= UPDATE_ATTEMPTS) throw err;
    }
  }
  ctx.io.out(`Trigger '${name}' updated in namespace '${ctx.namespace}'.\n`);
  return 0;
}

export async function triggerList(args: readonly string[], io: Io): Promise<number> {
  const command = 'trigger list';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION, broker: { type: 'string' } }, command);
  const ctx = context(values, io);
  positionals(pos, [], command);
  const format = outputFormat(values.output, command);
  const list = await listOf<Trigger>(ctx.client, 'Trigger', ctx.namespace);
  if (values.broker !== undefined) list.items = list.items.filter((t) => t.spec.broker === values.broker);
  if (printListHead(ctx.io, format, list, 'triggers')) return 0;
  const now = ctx.io.now();
  ctx.io.out(
    table(
      ['NAME', 'BROKER', 'SINK', 'AGE', 'CONDITIONS', 'READY', 'REASON'],
      list.items.map((t) => {
        const ready = getCondition(t.status.conditions, 'Ready');
        return [t.metadata.name, t.spec.broker, sinkText(t.spec.subscriber), age(t.metadata.creationTimestamp, now), conditionCount(t.status.conditions), ready?.status ?? 'Unknown', ready?.reason ?? ''];
      }),
    ),
  );
  return 0;
}

export async function triggerDescribe(args: readonly string[], io: Io): Promise<number> {
  const { ctx, name, format } = describeArgs(args, io, 'trigger describe');
  const t = await getOf<Trigger>(ctx.client, 'Trigger', ctx.namespace, name);
  if (printSerialised(ctx.io, format, t)) return 0;
  const now = ctx.io.now();
  let out = fields([...metadataFields(t.metadata, now), ['Broker', t.spec.broker]]);
  const attrs = Object.entries(t.spec.filter?.attributes ?? {});
  if (t.spec.filters !== undefined && t.spec.filters.length > 0) out += `\nFilters:\n  ${JSON.stringify(t.spec.filters)}\n`;
  else if (attrs.length > 0) out += `\nFilter:\n${fields(attrs, '  ')}`;
  const sub = t.spec.subscriber;
  out += `\nSink:\n${fields(
    sub.ref === undefined
      ? [['URI', sub.uri]]
      : [
          ['Name', sub.ref.name],
          ['Namespace', sub.ref.namespace],
          ['Resource', `${sub.ref.kind}${sub.ref.apiVersion === undefined ? '' : ` (${sub.ref.apiVersion})`}`],
          ['URI', t.status.subscriberUri],
        ],
    '  ',
  )}`;
  out += `\n${conditions(t.status.conditions, now)}`;
  ctx.io.out(out);
  return 0;
}

export async function triggerDelete(args: readonly string[], io: Io): Promise<number> {
  const command = 'trigger delete';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  await ctx.client.call('DELETE', pathOf('Trigger', ctx.namespace, name));
  ctx.io.out(`Trigger '${name}' deleted in namespace '${ctx.namespace}'.\n`);
  return 0;
}
