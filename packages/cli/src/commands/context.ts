// What every client command gets: where to send requests, which namespace, and the outside world.

import { ApiClient } from '../client.js';
import { serverUrl } from '../config.js';
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
  return { io, client: new ApiClient(serverUrl(values.server, io.env)), namespace: values.namespace ?? 'default' };
}
