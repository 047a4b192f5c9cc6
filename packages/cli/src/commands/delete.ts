// `kdp service delete` and `kdp revision delete`: one loop over NAME… that carries on past a name the server refuses
// (each refusal on stderr, one error at the end), so one bad name does not keep the others alive.

import { CliError, GLOBAL_OPTIONS, parse, UsageError } from '../args.js';
import { ApiStatusError } from '../client.js';
import { context, WAIT_OPTIONS } from './context.js';
import type { Io } from '../io.js';

export interface DeleteCommand {
  readonly command: string;
  readonly resource: 'services' | 'revisions';
  /** The line printed for each object deleted. */
  readonly deleted: (name: string, namespace: string) => string;
}

export async function deleteObjects(args: readonly string[], io: Io, d: DeleteCommand): Promise<number> {
  const { command, resource } = d;
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...WAIT_OPTIONS }, command);
  const ctx = context(values, io);
  if (pos.length === 0) throw new UsageError(`'kdp ${command}' requires NAME…`, command);
  let failed = 0;
  for (const name of pos) {
    try {
      await ctx.client.delete(resource, ctx.namespace, name, values['no-wait'] !== true);
      ctx.io.out(d.deleted(name, ctx.namespace));
    } catch (err) {
      if (!(err instanceof ApiStatusError)) throw err;
      ctx.io.err(`kdp: ${err.message}\n`);
      failed++;
    }
  }
  if (failed > 0) throw new CliError(`${failed} of ${pos.length} ${resource} not deleted`);
  return 0;
}
