// `kdp broker create|list|describe|delete`, shaped like kn's broker commands, and `kdp broker dead-letters BROKER
// [--trigger T] [--redeliver]` (a kdp addition: events that used up their retries without a dead-letter sink).

import { CliError, GLOBAL_OPTIONS, OUTPUT_OPTION, parse, positionals, UsageError } from '../args.js';
import { ApiStatusError } from '../client.js';
import { getCondition } from '../objects/conditions.js';
import { KDP_EVENTING_PREFIX, type Broker, type DeadLetterView } from '../objects/eventing-types.js';
import { conditionCount, conditions, fields, metadataFields } from '../print/describe.js';
import { age, outputFormat, printListHead, printSerialised, table } from '../print/format.js';
import { context, describeArgs } from './context.js';
import { DELIVERY_OPTIONS, deliveryOf, getOf, listOf, pathOf, sinkText } from './eventing-flags.js';
import type { Io } from '../io.js';

export async function brokerCreate(args: readonly string[], io: Io): Promise<number> {
  const command = 'broker create';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...DELIVERY_OPTIONS, class: { type: 'string' } }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  const delivery = await deliveryOf(ctx.client, values, ctx.namespace, command);
  const body: Broker = {
    apiVersion: 'eventing.knative.dev/v1',
    kind: 'Broker',
    metadata: { name, namespace: ctx.namespace } as Broker['metadata'],
    spec: delivery === undefined ? {} : { delivery },
    status: {},
  };
  if (values.class !== undefined) body.metadata.annotations = { 'eventing.knative.dev/broker.class': values.class };
  await ctx.client.call('POST', pathOf('Broker', ctx.namespace), body);
  ctx.io.out(`Broker '${name}' successfully created in namespace '${ctx.namespace}'.\n`);
  return 0;
}

export async function brokerList(args: readonly string[], io: Io): Promise<number> {
  const command = 'broker list';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION }, command);
  const ctx = context(values, io);
  positionals(pos, [], command);
  const format = outputFormat(values.output, command);
  const list = await listOf<Broker>(ctx.client, 'Broker', ctx.namespace);
  if (printListHead(ctx.io, format, list, 'brokers')) return 0;
  const now = ctx.io.now();
  ctx.io.out(
    table(
      ['NAME', 'URL', 'AGE', 'CONDITIONS', 'READY', 'REASON'],
      list.items.map((b) => {
        const ready = getCondition(b.status.conditions, 'Ready');
        return [b.metadata.name, b.status.address?.url ?? '', age(b.metadata.creationTimestamp, now), conditionCount(b.status.conditions), ready?.status ?? 'Unknown', ready?.reason ?? ''];
      }),
    ),
  );
  return 0;
}

export async function brokerDescribe(args: readonly string[], io: Io): Promise<number> {
  const { ctx, name, format } = describeArgs(args, io, 'broker describe');
  const b = await getOf<Broker>(ctx.client, 'Broker', ctx.namespace, name);
  if (printSerialised(ctx.io, format, b)) return 0;
  const now = ctx.io.now();
  const annotations = Object.entries(b.metadata.annotations ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
  let out = fields([...metadataFields(b.metadata, now).slice(0, 2), ['Annotations', annotations], ...metadataFields(b.metadata, now).slice(2)]);
  out += `\nAddress:\n${fields([['URL', b.status.address?.url]], '  ')}`;
  const d = b.spec.delivery;
  if (d !== undefined) {
    out += `\nDelivery:\n${fields(
      [
        ['Dead Letter Sink', sinkText(d.deadLetterSink)],
        ['Retry', d.retry === undefined ? undefined : String(d.retry)],
        ['Backoff Policy', d.backoffPolicy],
        ['Backoff Delay', d.backoffDelay],
        ['Timeout', d.timeout],
        ['Retry After Max', d.retryAfterMax],
      ],
      '  ',
    )}`;
  }
  out += `\n${conditions(b.status.conditions, now)}`;
  ctx.io.out(out);
  return 0;
}

export async function brokerDelete(args: readonly string[], io: Io): Promise<number> {
  const command = 'broker delete';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  await ctx.client.call('DELETE', pathOf('Broker', ctx.namespace, name));
  ctx.io.out(`Broker '${name}' successfully deleted in namespace '${ctx.namespace}'.\n`);
  return 0;
}

export async function brokerDeadLetters(args: readonly string[], io: Io): Promise<number> {
  const command = 'broker dead-letters';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION, trigger: { type: 'string' }, redeliver: { type: 'boolean' } }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['BROKER'], command);
  const format = outputFormat(values.output, command);
  const q = values.trigger === undefined ? '' : `?trigger=${encodeURIComponent(values.trigger)}`;
  const base = `${KDP_EVENTING_PREFIX}/namespaces/${encodeURIComponent(ctx.namespace)}/brokers/${encodeURIComponent(name)}/deadletters`;
  if (values.redeliver === true) {
    if (values.output !== undefined) throw new UsageError('--redeliver prints a count; -o is for listing', command);
    let r: { redelivered: number };
    try {
      r = await ctx.client.call<{ redelivered: number }>('POST', `${base}/redeliver${q}`);
    } catch (err) {
      if (err instanceof ApiStatusError) throw new CliError(err.message);
      throw err;
    }
    ctx.io.out(`${String(r.redelivered)} dead letter${r.redelivered === 1 ? '' : 's'} of broker '${name}' redelivered in namespace '${ctx.namespace}'.\n`);
    return 0;
  }
  const list = await ctx.client.call<{ items: DeadLetterView[] }>('GET', `${base}${q}`);
  if (printListHead(ctx.io, format, list, 'dead letters')) return 0;
  const now = ctx.io.now();
  ctx.io.out(
    table(
      ['TRIGGER', 'ID', 'SOURCE', 'TYPE', 'ATTEMPTS', 'CODE', 'AGE', 'ERROR'],
      list.items.map((d) => [
        d.trigger,
        attr(d, 'id'),
        attr(d, 'source'),
        attr(d, 'type'),
        String(d.attempts),
        String(d.code),
        age(d.deadAt, now),
        d.error.replace(/\s+/g, ' ').slice(0, 60),
      ]),
    ),
  );
  return 0;
}

function attr(d: DeadLetterView, name: string): string {
  const v = d.event[name];
  return typeof v === 'string' ? v : '';
}
