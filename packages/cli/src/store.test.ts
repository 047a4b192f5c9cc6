import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newService } from './objects/factory.js';
import { STATE_FILE, Store, StoreError } from './store.js';
import { tempDirs } from './testing/temp-dirs.js';

const tmp = tempDirs('kdp-store-');

function service(name: string, store: Store) {
  return newService('default', name, {}, {}, { template: { metadata: {}, spec: { containers: [{ command: ['x'] }] } }, traffic: [] }, {
    now: '2026-01-01T00:00:00Z',
    uid: `uid-${name}`,
    resourceVersion: store.nextResourceVersion(),
  });
}

describe('Store', () => {
  it('starts empty without a file, creating the directory', async () => {
    const dir = path.join(await tmp(), 'nested', 'data');
    const store = await Store.open(dir);
    expect(store.services.size).toBe(0);
    expect(store.file).toBe(path.join(dir, STATE_FILE));
    await store.save();
    expect(JSON.parse(await readFile(store.file, 'utf8'))).toMatchObject({ kind: 'kdp.dev/state', version: 1, services: [] });
  });

  it('round-trips objects and the resourceVersion counter', async () => {
    const dir = await tmp();
    const a = await Store.open(dir);
    const svc = service('hello', a);
    a.services.set('default/hello', svc);
    await a.save();
    const b = await Store.open(dir);
    expect(b.services.get('default/hello')).toEqual(svc);
    expect(b.nextResourceVersion()).toBe('2');
  });

  it('writes atomically: no temp file is left, a concurrent burst of saves ends with the last state', async () => {
    const dir = await tmp();
    const store = await Store.open(dir);
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      store.services.set(`default/s${i}`, service(`s${i}`, store));
      saves.push(store.save());
    }
    await Promise.all(saves);
    expect(await readdir(dir)).toEqual([STATE_FILE]);
    const reloaded = await Store.open(dir);
    expect(reloaded.services.size).toBe(20);
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['another format', '{"kind":"x"}', /not a kdp state file/],
    ['a wrong entry', '{"kind":"kdp.dev/state","version":1,"services":[{"kind":"Route","metadata":{}}]}', /not a Service/],
  ])('refuses %s with a message naming the file', async (_name, text, message) => {
    const dir = await tmp();
    await writeFile(path.join(dir, STATE_FILE), text);
    await expect(Store.open(dir)).rejects.toThrow(StoreError);
    await expect(Store.open(dir)).rejects.toThrow(message);
  });
});
