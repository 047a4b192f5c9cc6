// `kdp route list|describe`: the Routes the Services own, with their URLs and what each serves.

import { GLOBAL_OPTIONS, OUTPUT_OPTION, parse, positionals } from '../args.js';
import { getCondition } from '../objects/conditions.js';
import { LABELS, type Route } from '../objects/types.js';
import { conditions, fields, metadataFields, targetLine } from '../print/describe.js';
import { outputFormat, printListHead, printSerialised, table } from '../print/format.js';
import { context, describeArgs } from './context.js';
import type { Io } from '../io.js';

export async function routeList(args: readonly string[], io: Io): Promise<number> {
  const command = 'route list';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION }, command);
  const ctx = context(values, io);
  const [name] = pos.length === 0 ? [undefined] : positionals(pos, ['NAME'], command);
  const format = outputFormat(values.output, command);
  const list = await ctx.client.list<Route>('routes', ctx.namespace);
  if (name !== undefined) list.items = list.items.filter((r) => r.metadata.name === name);
  if (printListHead(ctx.io, format, list, 'routes')) return 0;
  ctx.io.out(
    table(
      ['NAME', 'URL', 'READY'],
      list.items.map((r) => [r.metadata.name, r.status.url ?? '', getCondition(r.status.conditions, 'Ready')?.status ?? 'Unknown']),
    ),
  );
  return 0;
}

export async function routeDescribe(args: readonly string[], io: Io): Promise<number> {
  const { ctx, name, format } = describeArgs(args, io, 'route describe');
  const route = await ctx.client.getRoute(ctx.namespace, name);
  if (printSerialised(ctx.io, format, route)) return 0;
  const now = ctx.io.now();
  let out = fields([
    ...metadataFields(route.metadata, now),
    ['URL', route.status.url],
    ['Service', route.metadata.labels?.[LABELS.service]],
  ]);
  out += '\nTraffic Targets:\n';
  for (const t of route.status.traffic ?? []) {
    out += `  ${targetLine(t)}\n`;
    if (t.url !== undefined) out += fields([['URL', t.url]], '         ');
  }
  out += `\n${conditions(route.status.conditions, now)}`;
  ctx.io.out(out);
  return 0;
}
