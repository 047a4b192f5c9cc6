import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, type RunDeps } from './run.js';

function fakeDeps(env: Record<string, string>): RunDeps & {
  out: string[];
  err: string[];
  signals: Map<string, () => void>;
  exited: Promise<number>;
} {
  const out: string[] = [];
  const err: string[] = [];
  const signals = new Map<string, () => void>();
  let exit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => {
    exit = resolve;
  });
  return {
    env,
    pid: 4242,
    out,
    err,
    signals,
    exited,
    writeStdout: (line) => out.push(line),
    writeStderr: (line) => err.push(line),
    onSignal: (signal, handler) => signals.set(signal, handler),
    exit: (code) => exit(code),
  };
}

describe('run', () => {
  it('prints one JSON line when listening and exits 0 on SIGTERM after closing', async () => {
    const deps = fakeDeps({ PORT: '0', TARGET: 'Test', K_REVISION: 'r1' });
    const app = await run(deps);
    expect(app).toBeDefined();
    expect(deps.out).toHaveLength(1);
    const line = JSON.parse(deps.out[0]!) as Record<string, unknown>;
    expect(line).toEqual({
      level: 'info',
      msg: 'listening',
      pid: 4242,
      host: '127.0.0.1',
      port: app!.port,
      target: 'Test',
      revision: 'r1',
    });
    const res = await fetch(`http://127.0.0.1:${String(app!.port)}/`);
    expect(await res.text()).toBe('Hello Test!\n');
    deps.signals.get('SIGTERM')!();
    expect(await deps.exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${String(app!.port)}/`)).rejects.toThrow();
  });

  it('exits 1 with every configuration problem on stderr', async () => {
    const deps = fakeDeps({ PORT: 'eighty', K_REVISION: 'a\nb' });
    await run(deps);
    expect(await deps.exited).toBe(1);
    const line = JSON.parse(deps.err[0]!) as { problems: string[] };
    expect(line.problems).toHaveLength(2);
  });
});

describe('kdp-sample-app binary', () => {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

  it('listens, answers, and exits 0 on SIGTERM', async () => {
    if (!existsSync(main)) throw new Error(`${main} does not exist: build first (npx tsc -b packages/sample-app)`);
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: '0', TARGET: 'Binary' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const [first] = (await once(lines, 'line')) as [string];
    const { port } = JSON.parse(first) as { port: number };
    const res = await fetch(`http://127.0.0.1:${String(port)}/`);
    expect(await res.text()).toBe('Hello Binary!\n');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
