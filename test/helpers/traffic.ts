/**
 * Helpers for the routing end-to-end tests: CLI runs that must succeed, the revisions as `kdp revision list -o json`
 * reports them, and batches of requests through the router on keep-alive connections, each answer reduced to the
 * revision that served it (the sample app's `X-Kdp-Revision`, set from `K_REVISION`).
 */
import http from 'node:http';
import { kdp, type CliRun } from '../cli-harness.js';
import { request } from './http.js';

/** Runs `kdp …` and throws with its output unless it exits 0. */
export async function kdpOk(server: string, ...args: string[]): Promise<CliRun> {
  const r = await kdp(server, ...args);
  if (r.code !== 0) throw new Error(`kdp ${args.join(' ')} exited ${String(r.code)}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

export interface RevisionView {
  readonly name: string;
  readonly actualReplicas: number;
  readonly desiredReplicas: number;
  readonly ready: string | undefined;
}

interface RevisionListJson {
  items: {
    metadata: { name: string };
    status: { actualReplicas?: number; desiredReplicas?: number; conditions?: { type: string; status: string }[] };
  }[];
}

/** `kdp revision list [SERVICE] -o json`, reduced to names, pod counts and the Ready status. */
export async function revisionList(server: string, service?: string): Promise<RevisionView[]> {
  const r = await kdpOk(server, 'revision', 'list', ...(service === undefined ? [] : [service]), '-o', 'json');
  const list = JSON.parse(r.stdout) as RevisionListJson;
  return list.items.map((i) => ({
    name: i.metadata.name,
    actualReplicas: i.status.actualReplicas ?? 0,
    desiredReplicas: i.status.desiredReplicas ?? 0,
    ready: i.status.conditions?.find((c) => c.type === 'Ready')?.status,
  }));
}

/**
 * Polls `kdp revision list -o json` (as a user watching it would) until `cond` holds for the named revision; throws
 * with the last view after `timeoutMs`.
 */
export async function untilRevision(
  server: string,
  name: string,
  what: string,
  cond: (r: RevisionView) => boolean,
  timeoutMs: number,
): Promise<RevisionView> {
  const deadline = Date.now() + timeoutMs;
  let last: RevisionView | undefined;
  for (;;) {
    last = (await revisionList(server)).find((r) => r.name === name);
    if (last !== undefined && cond(last)) return last;
    if (Date.now() > deadline) throw new Error(`${name}: ${what} not seen in ${String(timeoutMs)} ms; last: ${JSON.stringify(last)}`);
    // Each poll is a whole CLI process (~0.3 s); a short pause keeps the two cores free for the platform.
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface Answer {
  readonly status: number;
  /** `X-Kdp-Revision` of the pod that answered, or '' (an error the platform generated, or a socket error). */
  readonly revision: string;
  readonly body: string;
}

/** A keep-alive agent for `workers` connections to the router; destroy it when done. */
export function keepAliveAgent(workers: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: workers });
}

/** One GET through the router; a socket error becomes status 0 with the error in `body`. */
export async function ask(routerPort: number, host: string, agent: http.Agent, headers: Record<string, string> = {}): Promise<Answer> {
  try {
    const r = await request(routerPort, '/', { headers: { host, ...headers }, agent });
    const rev = r.headers['x-kdp-revision'];
    return { status: r.status, revision: typeof rev === 'string' ? rev : '', body: r.body };
  } catch (err) {
    return { status: 0, revision: '', body: String(err) };
  }
}

/**
 * `n` GETs to `host`, `concurrency` at a time on keep-alive connections, answers in the order the requests were
 * sent. With concurrency 1 they are consecutive requests to the route in the strictest sense.
 */
export async function askMany(routerPort: number, host: string, n: number, concurrency = 1): Promise<Answer[]> {
  const agent = keepAliveAgent(concurrency);
  const out: Answer[] = new Array<Answer>(n);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = next++;
          out[i] = await ask(routerPort, host, agent);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return out;
}

/** How many answers each key got, keys sorted, e.g. `{ 'hello-knative': 90, 'hello-world': 10 }`. */
export function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
