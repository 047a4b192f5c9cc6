import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readApiToken, TOKEN_FILE, tokenFileFor, writeApiToken } from './api-token.js';
import { tempDirs } from './testing/temp-dirs.js';

const tempDir = tempDirs('kdp-token-');

describe('the local credential', () => {
  it('is written with mode 0600, new at every start, and read back by the CLI from KDP_DATA_DIR', async () => {
    const dir = await tempDir();
    const first = await writeApiToken(dir);
    const file = path.join(dir, TOKEN_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await readFile(file, 'utf8')).trim()).toBe(first);
    expect(await readApiToken({ KDP_DATA_DIR: dir })).toBe(first);
    const second = await writeApiToken(dir);
    expect(second).not.toBe(first);
    expect(await readApiToken({ KDP_DATA_DIR: dir })).toBe(second);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('prefers KDP_API_TOKEN, defaults to ~/.kdp, and is undefined when there is none', async () => {
    const dir = await tempDir();
    expect(await readApiToken({ KDP_API_TOKEN: 'abc', KDP_DATA_DIR: dir })).toBe('abc');
    expect(await readApiToken({ KDP_DATA_DIR: dir })).toBeUndefined();
    expect(tokenFileFor({ HOME: '/home/u' })).toBe('/home/u/.kdp/api-token');
  });
});
