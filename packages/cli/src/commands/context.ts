// What every client command gets: where to send requests, which namespace, and the outside world.

import { GLOBAL_OPTIONS, OUTPUT_OPTION, parse, positionals } from '../args.js';
import { readApiToken } from '../api-token.js';
import { ApiClient } from '../client.js';
import { serverUrl } from '../config.js';
import { outputFormat, type OutputFormat } from '../print/format.js';
import type { Io } from '../io.js';

export interface Ctx {
  readonly io: Io;
  readonly client: ApiClient;
  readonly namespace: string;
}

export const WAIT_OPTIONS = {
  'no-wait': { type: 'boolean' },
  wait: { type: 'boolean' },
  'wait-timeout': { type: 'string' },
} as const;

/** The context from a command's parsed global options (`--server`, `-n`). */
export function context(values: { server?: string | undefined; namespace?: string | undefined }, io: Io): Ctx {
  return { io, client: new ApiClient(serverUrl(values.server, io.env), () => readApiToken(io.env)), namespace: values.namespace ?? 'default' };
}

/** What every `describe` starts with: the global and `-o` flags and exactly one NAME. */
export function describeArgs(args: readonly string[], io: Io, command: string): { ctx: Ctx; name: string; format: OutputFormat } {
  const { values, positionals: pos } = parse(args, { ...GLOBAL_OPTIONS, ...OUTPUT_OPTION }, command);
  const ctx = context(values, io);
  const [name = ''] = positionals(pos, ['NAME'], command);
  return { ctx, name, format: outputFormat(values.output, command) };
}
