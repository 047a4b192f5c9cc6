import { readFileSync } from 'node:fs';
/**
 * Real `kdp serve` processes and real `kdp` CLI runs for end-to-end tests: a temp data directory, free ports,
 * requests to the router with the Host header a browser or curl would send (Node's resolver may not know
 * `*.localhost`, so connect to 127.0.0.1 and name the host).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request, type Res } from './helpers/http.js';
import { freePorts } from './helpers/ports.js';
import { ROOT, spawnNode, type Proc } from './helpers/process.js';

export const KDP_BIN = path.join(ROOT, 'packages/cli/bin/kdp.js');
export const SAMPLE_APP_CMD = 'node packages/sample-app/bin/kdp-sample-app.js';

export interface Serve {
  readonly proc: Proc;
  readonly dataDir: string;
  readonly routerPort: number;
  readonly apiPort: number;
  readonly server: string;
  /** SIGTERM, then the exit code (and signal). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const dataDirs: string[] = [];
const serves = new Set<Serve>();

export async function newDataDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'kdp-cli-e2e-'));
  dataDirs.push(d);
  return d;
}

/** Starts `kdp serve` and resolves once its control API answers /healthz. */
export async function startServe(o: { dataDir?: string; routerPort?: number; apiPort?: number; extraArgs?: string[] } = {}): Promise<Serve> {
  const dataDir = o.dataDir ?? (await newDataDir());
  const [p1, p2] = (await freePorts(2)) as [number, number];
  const routerPort = o.routerPort ?? p1;
  const apiPort = o.apiPort ?? p2;
  const proc = spawnNode(
    [KDP_BIN, 'serve', '--data-dir', dataDir, '--router-port', String(routerPort), '--api-port', String(apiPort), '--log-level', 'warn', ...(o.extraArgs ?? [])],
    { PATH: process.env.PATH, HOME: process.env.HOME },
  );
  const server = `http://127.0.0.1:${String(apiPort)}`;
  const serve: Serve = {
    proc,
    dataDir,
    routerPort,
    apiPort,
    server,
    async stop() {
      proc.kill('SIGTERM');
      const r = await proc.exited;
      serves.delete(serve);
      return r;
    },
  };
  serves.add(serve);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`kdp serve exited ${String(proc.child.exitCode)}: ${proc.stderr}`);
    if (proc.stdout.includes('kdp serve is running')) {
      const ok = await request(apiPort, '/healthz').then((r) => r.status === 200, () => false);
      if (ok) return serve;
    }
    if (Date.now() > deadline) throw new Error(`kdp serve did not start: ${proc.stdout} ${proc.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `kdp` binary to completion. Against a serve started here it finds the local credential the way a
 * user's shell would: KDP_DATA_DIR names that serve's data directory.
 */
export function kdp(server: string | undefined, ...args: string[]): Promise<CliRun> {
  const dataDir = [...serves].find((s) => s.server === server)?.dataDir;
  return kdpWith({ ...(server !== undefined && { KDP_SERVER: server }), ...(dataDir !== undefined && { KDP_DATA_DIR: dataDir }) }, ...args);
}

/** Runs the real `kdp` binary with exactly these variables (plus PATH and HOME), from `cwd` (default the repo root). */
export function kdpWith(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  return kdpIn(ROOT, env, ...args);
}

export function kdpIn(cwd: string, env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KDP_BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** GET through the router with `Host: <host>`. */
export function get(routerPort: number, host: string, reqPath = '/', headers: Record<string, string> = {}): Promise<Res> {
  return request(routerPort, reqPath, { headers: { host, ...headers } });
}

/** Stops every serve a test left running (gracefully, so no pod outlives it) and removes the data directories. */
export async function cleanup(): Promise<void> {
  await Promise.all([...serves].map((s) => s.stop()));
  await Promise.all(dataDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** The header a direct API call (as curl would send) needs for a change: `kdp serve`'s local credential (issue 9). */
export function apiAuth(s: Serve): { authorization: string } {
  return { authorization: `Bearer ${readFileSync(path.join(s.dataDir, 'api-token'), 'utf8').trim()}` };
}
