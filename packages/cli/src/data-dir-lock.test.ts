import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir } from './data-dir-lock.js';
import { tempDirs } from './testing/temp-dirs.js';

const tmp = tempDirs('kdp-lock-');

describe('lockDataDir', () => {
  it('writes the pid and removes the file on release', async () => {
    const dir = await tmp();
    const release = await lockDataDir(dir);
    expect(await readFile(path.join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    await release();
    await expect(readFile(path.join(dir, LOCK_FILE))).rejects.toThrow();
  });

  it('refuses a directory a live process holds', async () => {
    const dir = await tmp();
    // The parent of this test runner is alive for sure.
    await writeFile(path.join(dir, LOCK_FILE), `${process.ppid}\n`);
    await expect(lockDataDir(dir)).rejects.toThrow(`another kdp serve (pid ${process.ppid}) is using ${dir}`);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dir = await tmp();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    await writeFile(path.join(dir, LOCK_FILE), `${gone}\n`);
    const release = await lockDataDir(dir);
    await release();
  });
});
