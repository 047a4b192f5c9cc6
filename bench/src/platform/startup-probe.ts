/**
 * Times a program's start the way kdp's data path would see it, from another CPU: spawns `argv` (after `--`), polls
 * `KDP_BENCH_PROBE_URL` in a tight loop (fresh connection per attempt) until it answers 2xx, stops the program, and
 * prints one JSON line: `{"startupMs": spawn → first 2xx, "firstLineMs": spawn → first stdout output}`.
 *
 * The cold-start suite runs this on the proxy CPU and the program (under `taskset`) on the app CPU, as the control
 * plane spawns a pod's user process and the queue-proxy / activator probe it from the proxy CPU: polling from the
 * app's own CPU would slow the app's start down and overstate "the app's own start".
 */
import { spawn } from 'node:child_process';
import { probeOnce } from '../startup.js';

async function main(): Promise<void> {
  const sep = process.argv.indexOf('--');
  const [command, ...args] = sep < 0 ? [] : process.argv.slice(sep + 1);
  const url = process.env['KDP_BENCH_PROBE_URL'];
  const timeoutMs = Number(process.env['KDP_BENCH_PROBE_TIMEOUT_MS'] ?? '15000');
  if (command === undefined || url === undefined) throw new Error('usage: KDP_BENCH_PROBE_URL=… startup-probe.js -- command [args…]');
  const t0 = process.hrtime.bigint();
  const since = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let firstLineMs = Number.NaN;
  child.stdout.once('data', () => (firstLineMs = since()));
  child.stdout.resume();
  let exited = false;
  const ended = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  let startupMs = Number.NaN;
  while (!exited && since() < timeoutMs) {
    const status = await probeOnce(url);
    if (status !== undefined && status >= 200 && status < 300) {
      startupMs = since();
      break;
    }
  }
  child.kill('SIGTERM');
  await ended;
  if (Number.isNaN(startupMs)) throw new Error(`${command} gave no 2xx on ${url} within ${String(timeoutMs)} ms${exited ? ' (it exited)' : ''}`);
  process.stdout.write(`${JSON.stringify({ startupMs, firstLineMs })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`startup-probe: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
