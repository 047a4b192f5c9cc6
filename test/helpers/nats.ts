// A real nats-server with JetStream for the NATS backend tests: the Debian package `nats-server` (.ci/run installs
// it), on a free port with a temp store directory, stopped by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './ports.js';

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startNatsServer(): Promise<NatsServer> {
  const [port] = (await freePorts(1)) as [number];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kdp-nats-'));
  const child: ChildProcess = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const spawnError = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`cannot run nats-server (apt-get install -y nats-server): ${err.message}`))));
  const deadline = Date.now() + 10_000;
  const ready = (async () => {
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
        s.on('error', () => resolve(false));
      });
      if (ok && output.includes('Server is ready')) return;
      if (child.exitCode !== null) throw new Error(`nats-server exited ${String(child.exitCode)}: ${output}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await Promise.race([ready, spawnError]);
  return {
    url: `nats://127.0.0.1:${String(port)}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
