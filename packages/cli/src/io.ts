// What a command touches outside itself, passed in so tests can run commands in-process with captured output.

import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Wall clock, ms. */
  now(): number;
  sleep(ms: number): Promise<void>;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** stdout is a terminal (`kdp serve` then logs pretty lines by default). */
  readonly stdoutIsTTY?: boolean;
  /** A file's text; `-` is stdin. */
  readText(file: string): Promise<string>;
}

export function processIo(): Io {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    now: Date.now,
    sleep: (ms) => sleep(ms),
    cwd: process.cwd(),
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY,
    readText: async (file) => {
      if (file !== '-') return readFile(file, 'utf8');
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
