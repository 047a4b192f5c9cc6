// Waiting for a Service to become ready after create/update/apply, with kn's progress lines: each new condition
// message once, with the seconds since the start, then `Ready to serve.` or the failure.

import { CliError } from './args.js';
import type { ApiClient } from './client.js';
import { getCondition } from './objects/conditions.js';
import type { Service } from './objects/types.js';
import type { Io } from './io.js';

/** kn's `--wait-timeout` default. */
export const DEFAULT_WAIT_TIMEOUT_S = 600;
/** The API answers from memory on loopback; 100 ms keeps progress lines timely at negligible cost. */
const POLL_INTERVAL_MS = 100;

export async function waitForReady(client: ApiClient, ns: string, name: string, io: Io, timeoutS: number): Promise<Service> {
  const start = io.now();
  const seen = new Set<string>();
  const line = (text: string): void => io.out(`${((io.now() - start) / 1000).toFixed(3).padStart(8)}s ${text}\n`);
  for (;;) {
    const svc = await client.getService(ns, name);
    const current = svc.status.observedGeneration === svc.metadata.generation;
    const ready = current ? getCondition(svc.status.conditions, 'Ready') : undefined;
    if (current) {
      for (const c of svc.status.conditions ?? []) {
        if (c.type === 'Ready' || c.status === 'True' || c.message === undefined || seen.has(c.message)) continue;
        seen.add(c.message);
        if (c.status === 'Unknown') line(c.message);
      }
    }
    if (ready?.status === 'True') {
      line('Ready to serve.');
      return svc;
    }
    if (ready?.status === 'False') {
      const why = `${ready.reason ?? 'Failed'}: ${ready.message ?? ''}`;
      line(why);
      throw new CliError(`service '${name}' is not ready: ${why}`);
    }
    if (io.now() - start > timeoutS * 1000) {
      throw new CliError(`timeout: service '${name}' not ready after ${timeoutS} seconds${ready?.message === undefined ? '' : ` (${ready.message})`}`);
    }
    await io.sleep(POLL_INTERVAL_MS);
  }
}
