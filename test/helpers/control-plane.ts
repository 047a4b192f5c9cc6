/**
 * Helpers for end-to-end tests of the local control plane (@kdp/platform): start one on 127.0.0.1 with
 * a free router port, build revisions of the sample app or of the fixture apps below, call the router with a Host,
 * and wait on control-plane events or status.
 *
 * The fixture apps are kept as source strings written to a temporary directory, so they need neither a build nor a
 * lint exception (as the runtime's own test fixtures).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { request } from './http.js';
import type { Res } from './http.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import { createLogger, isLogLevel } from '@kdp/core';
import { startControlPlane } from '@kdp/platform';
import type { ControlPlane, ControlPlaneEvents, ControlPlaneOptions } from '@kdp/platform';
import { makeRevision } from '@kdp/runtime';
import type { PodLogLine, Revision, RevisionInput } from '@kdp/runtime';
import { ROOT } from './process.js';

export const SAMPLE_APP = path.join(ROOT, 'packages/sample-app/dist/main.js');

/**
 * Counts the requests it is serving at once and answers every request with `X-Pod` (its pid: one pod, one user
 * process) and `X-Max-Concurrency` (the most it has served at once so far). `?sleep=MS` delays the answer.
 */
const CONCURRENCY_APP = `
import http from 'node:http';
let inFlight = 0;
let max = 0;
const server = http.createServer((req, res) => {
  inFlight++;
  if (inFlight > max) max = inFlight;
  const m = /[?&]sleep=(\\d+)/.exec(req.url ?? '');
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-pod': String(process.pid), 'x-max-concurrency': String(max) });
    res.end('ok\\n');
    inFlight--;
  }, m === null ? 0 : Number(m[1]));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Starts listening only after SLOW_START_MS (a slow app start), then answers `late`. */
const SLOW_START_APP = `
import http from 'node:http';
setTimeout(() => {
  http.createServer((req, res) => res.end('late\\n')).listen(Number(process.env.PORT), '127.0.0.1');
}, Number(process.env.SLOW_START_MS ?? '30000'));
`;

export interface Fixtures {
  readonly concurrencyApp: string;
  readonly slowStartApp: string;
  remove(): void;
}

export function writeFixtures(): Fixtures {
  const dir = mkdtempSync(path.join(tmpdir(), 'kdp-cp-test-'));
  const concurrencyApp = path.join(dir, 'concurrency-app.mjs');
  const slowStartApp = path.join(dir, 'slow-start-app.mjs');
  writeFileSync(concurrencyApp, CONCURRENCY_APP);
  writeFileSync(slowStartApp, SLOW_START_APP);
  return { concurrencyApp, slowStartApp, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestControlPlane {
  readonly cp: ControlPlane;
  readonly port: number;
  /** The last pod output lines, for failure messages. */
  readonly podLines: PodLogLine[];
}

/** A control plane on 127.0.0.1 with a free router port. Logs are off unless KDP_TEST_LOG_LEVEL names a level. */
export async function startTestControlPlane(over: Partial<ControlPlaneOptions> = {}): Promise<TestControlPlane> {
  const level = process.env['KDP_TEST_LOG_LEVEL'] ?? 'silent';
  const podLines: PodLogLine[] = [];
  const cp = await startControlPlane({
    routerPort: 0,
    logger: createLogger({ name: 'kdp-test', level: isLogLevel(level) ? level : 'silent' }),
    logSink: (l) => {
      podLines.push(l);
      if (podLines.length > 200) podLines.splice(0, 100);
    },
    ...over,
  });
  return { cp, port: Number(new URL(cp.routerUrl).port), podLines };
}

/** A revision running `node <script>` in namespace `default`. */
export function nodeRevision(name: string, script: string, over: Partial<RevisionInput> = {}): Revision {
  return makeRevision({
    name,
    service: name.replace(/-\d+$/, ''),
    configuration: name.replace(/-\d+$/, ''),
    container: { command: [process.execPath, script] },
    ...over,
  });
}

export type { Res } from './http.js';

/** One request to the router with the given Host; a fresh connection each time. */
export function routerGet(port: number, host: string, pathAndQuery = '/', headers: http.OutgoingHttpHeaders = {}): Promise<Res> {
  return request(port, pathAndQuery, { headers: { ...headers, host } });
}

/** Resolves with the arguments of the first `name` event for which `match` holds. */
export function nextEvent<K extends keyof ControlPlaneEvents>(
  events: EventEmitter<ControlPlaneEvents>,
  name: K,
  match: (...args: ControlPlaneEvents[K]) => boolean,
  timeoutMs = 15_000,
): Promise<ControlPlaneEvents[K]> {
  const ee = events as unknown as EventEmitter;
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      const a = args as ControlPlaneEvents[K];
      if (!match(...a)) return;
      clearTimeout(timer);
      ee.off(name, listener);
      resolve(a);
    };
    const timer = setTimeout(() => {
      ee.off(name, listener);
      reject(new Error(`no ${name} event within ${String(timeoutMs)} ms`));
    }, timeoutMs);
    ee.on(name, listener);
  });
}

/**
 * Polls `cond` every `everyMs` until it holds. For states no event announces (pod processes gone); bounded, and
 * the message says what was awaited.
 */
export async function until(what: string, cond: () => boolean, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `<metric>_sum{...phase="<phase>"...}` values of a Prometheus text exposition, by phase. */
export function coldStartPhaseSums(metricsText: string, revision: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith('kdp_activator_cold_start_phase_seconds_sum{')) continue;
    if (!line.includes(`kn_revision_name="${revision}"`)) continue;
    const phase = /phase="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (phase !== undefined) out[phase] = value;
  }
  const total = new RegExp(`^kdp_activator_cold_start_seconds_sum\\{[^}]*kn_revision_name="${revision}"[^}]*\\} (\\S+)$`, 'm').exec(
    metricsText,
  );
  if (total?.[1] !== undefined) out['total'] = Number(total[1]);
  return out;
}
