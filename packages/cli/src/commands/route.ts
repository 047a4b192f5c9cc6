// `kdp route list|describe`: the Routes the Services own, with their URLs and what each serves.

import { GLOBAL_OPTIONS, OUTPUT_OPTION, parse, positionals } from '../args.js';
import { getCondition } from '../objects/conditions.js';
import { LABELS, type Route } from '../objects/types.js';
import { conditions, fields, targetLine } from '../print/describe.js';
import { age, outputFormat, serialise, table } from '../print/format.js';
import { context } from './context.js';
import type { Io } from '../io.js';

export async function routeList(args: readonly string[], io: Io): Promise<number> {
  const command = 'route list';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION }, command);
  const ctx = context(values, io);
  const [name] = pos.length === 0 ? [undefined] : positionals(pos, ['NAME'], command);
  const format = outputFormat(values.output, command);
  const list = await ctx.client.list<Route>('routes', ctx.namespace);
  if (name !== undefined) list.items = list.items.filter((r) => r.metadata.name === name);
  if (format !== 'text') {
    ctx.io.out(serialise(list, format));
    return 0;
  }
  if (list.items.length === 0) {
    ctx.io.out('No routes found.\n');
    return 0;
  }
  ctx.io.out(
    table(
      ['NAME', 'URL', 'READY'],
      list.items.map((r) => [r.metadata.name, r.status.url ?? '', getCondition(r.status.conditions, 'Ready')?.status ?? 'Unknown']),
    ),
  );
  return 0;
}

export async function routeDescribe(args: readonly string[], io: Io): Promise<number> {
  const command = 'route describe';
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  const format = outputFormat(values.output, command);
  const route = await ctx.client.getRoute(ctx.namespace, name);
  if (format !== 'text') {
    ctx.io.out(serialise(route, format));
    return 0;
  }
  const now = ctx.io.now();
  let out = fields([
    ['Name', route.metadata.name],
    ['Namespace', route.metadata.namespace],
    ['Age', age(route.metadata.creationTimestamp, now)],
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
