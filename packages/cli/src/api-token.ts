// The control API's local credential: a random token in `<data dir>/api-token` (mode 0600), written by `kdp serve`
// at every start (a token copied somewhere dies with the next restart) and read by the `kdp` CLI on every call, so
// only a process of the user who runs `kdp serve` (or root) can create a process through the API.

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const TOKEN_FILE = 'api-token';
/** 32 random bytes, base64url: 43 characters, nothing to escape in a header or a shell. */
const TOKEN_BYTES = 32;

/** Writes a new token (temp file with mode 0600, then renamed over the old one) and returns it. */
export async function writeApiToken(dataDir: string): Promise<string> {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const file = path.join(dataDir, TOKEN_FILE);
  const tmp = `${file}.${String(process.pid)}.tmp`;
  // `wx` with an explicit mode: the file never exists with wider permissions, whatever the umask.
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${token}\n`);
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  return token;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Where the CLI looks for the token: `$KDP_DATA_DIR/api-token`, else `~/.kdp/api-token` (kdp serve's default). */
export function tokenFileFor(env: Env): string {
  const dir = env['KDP_DATA_DIR'];
  return path.join(dir === undefined || dir === '' ? path.join(env['HOME'] ?? os.homedir(), '.kdp') : dir, TOKEN_FILE);
}

/** `KDP_API_TOKEN`, else the token file's content; undefined when there is neither. */
export async function readApiToken(env: Env): Promise<string | undefined> {
  const fromEnv = env['KDP_API_TOKEN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  try {
    const text = (await readFile(tokenFileFor(env), 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}
