/**
 * The Go side of the go-reference suite: a Go backend (`bench/go/backend`: `?size=N` bytes from a preallocated slice)
 * and Go's `httputil.ReverseProxy` behind a semaphore (`bench/go/proxy`: the core of Knative's queue-proxy). Built
 * with the machine's `go` (Debian's `golang` package) into `bench/go/dist/` when missing or older than its sources.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ManagedProcess, Role, Target, TargetContext } from '../types.js';

export const GO_DIR = 'bench/go';
const PROGRAMS = ['backend', 'proxy'] as const;
export type GoProgram = (typeof PROGRAMS)[number];

export function goBinary(repoRoot: string, program: GoProgram): string {
  return join(repoRoot, GO_DIR, 'dist', program);
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** Newest modification time of a program's sources (its .go files and go.mod). */
function sourcesMtime(repoRoot: string, program: GoProgram): number {
  const dir = join(repoRoot, GO_DIR, program);
  const files = readdirSync(dir).filter((f) => f.endsWith('.go')).map((f) => join(dir, f));
  return Math.max(mtimeMs(join(repoRoot, GO_DIR, 'go.mod')), ...files.map(mtimeMs));
}

export function goVersion(): string | undefined {
  try {
    return execFileSync('go', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return undefined;
  }
}

/**
 * Builds the Go programs that are missing or older than their sources; fails with a clear message when that needs
 * `go` and there is none. `GOTOOLCHAIN=local`: never try to download another toolchain (no internet here).
 */
export function ensureGoBuilt(repoRoot: string, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  const stale = PROGRAMS.filter((p) => mtimeMs(goBinary(repoRoot, p)) < sourcesMtime(repoRoot, p));
  if (stale.length === 0) return;
  const version = goVersion();
  if (version === undefined) {
    throw new Error(
      `go is not installed, and the Go reference programs (${stale.join(', ')}) are not built in ${GO_DIR}/dist: ` +
        'apt-get update && apt-get install -y golang (Debian), then run the bench again (it builds them itself)',
    );
  }
  for (const p of stale) {
    log(`building ${GO_DIR}/${p} with ${version}`);
    try {
      execFileSync('go', ['build', '-o', goBinary(repoRoot, p), `./${p}`], {
        cwd: join(repoRoot, GO_DIR),
        env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
      throw new Error(`go build ./${p} (in ${GO_DIR}) failed:\n${stderr}`, { cause: err });
    }
  }
}

export interface StartedGo {
  readonly process: ManagedProcess;
  readonly url: string;
  readonly port: number;
  readonly startupMs: number;
}

/** The Go backend on a free port, on the app CPU (with the load generator) unless `role` says otherwise. */
export async function startGoBackend(ctx: TargetContext, role: Role = 'app'): Promise<StartedGo> {
  const [port] = await ctx.freePorts(1);
  if (port === undefined) throw new Error('no free port');
  const proc = ctx.spawn({ role, name: 'go-backend', command: goBinary(ctx.repoRoot, 'backend'), args: [], env: { PORT: String(port) } });
  const url = `http://127.0.0.1:${String(port)}`;
  const startupMs = await ctx.waitForFirstResponse(`${url}/`, proc);
  return { process: proc, url, port, startupMs };
}

/** The baseline: the load generator straight to the Go backend (its CPU and RSS are the backend's). */
export function goDirectTarget(name = 'direct'): Target {
  return {
    name,
    async start(ctx) {
      const b = await startGoBackend(ctx);
      return { url: b.url, measured: b.process, startupMs: b.startupMs };
    },
  };
}

/** Go's ReverseProxy + semaphore on the proxy CPU in front of the Go backend; the proxy is measured. */
export function goProxyTarget(name = 'go-proxy'): Target {
  return {
    name,
    async start(ctx) {
      const b = await startGoBackend(ctx);
      const [port] = await ctx.freePorts(1);
      if (port === undefined) throw new Error('no free port');
      const proc = ctx.spawn({
        role: 'proxy',
        name: 'go-proxy',
        command: goBinary(ctx.repoRoot, 'proxy'),
        args: [],
        env: { CONTAINER_CONCURRENCY: '0', ...ctx.scenario.env, PORT: String(port), UPSTREAM_PORT: String(b.port) },
      });
      const url = `http://127.0.0.1:${String(port)}`;
      const startupMs = await ctx.waitForFirstResponse(`${url}/`, proc);
      return { url, measured: proc, app: b.process, startupMs };
    },
  };
}
