// One `kdp serve` per data directory: two would overwrite each other's state file. A `serve.pid` file created
// exclusively holds the owner's pid; one left behind by a process that is gone (killed with SIGKILL) is taken over.

import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from './args.js';

export const LOCK_FILE = 'serve.pid';

/** Takes the directory (creating it); resolves with the function that gives it back. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o600);
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      return () => unlink(file).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new CliError(`another kdp serve (pid ${pid}) is using ${dir}; stop it first, or give this one another --data-dir`);
      }
      await unlink(file).catch(() => undefined);
    }
  }
  throw new CliError(`cannot take ${file}: another kdp serve is starting with the same data directory`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
