// The object store of the local platform: every Service, Configuration, Revision and Route in memory, mirrored to
// one JSON file (`<data dir>/state.json`) so that `kdp serve` finds them again after a restart. Writes are atomic
// (a temp file in the same directory, fsynced, then renamed over the old one) so a crash leaves either the old or
// the new state, never half of one; saves requested while one is in flight are coalesced into one more write.

import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { KdpBaseError } from '@kdp/core';
import { isObject } from './objects/decode.js';
import type { Configuration, KnativeObject, Revision, Route, Service } from './objects/types.js';
import { objectKey } from './objects/types.js';

export const STATE_FILE = 'state.json';
const FORMAT = 'kdp.dev/state';
const VERSION = 1;

interface StateFile {
  kind: typeof FORMAT;
  version: typeof VERSION;
  resourceVersion: number;
  services: Service[];
  configurations: Configuration[];
  revisions: Revision[];
  routes: Route[];
}

export class StoreError extends KdpBaseError {
  readonly code = 'KDP_ERR_STORE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export class Store {
  /** Keyed `namespace/name`. */
  readonly services = new Map<string, Service>();
  readonly configurations = new Map<string, Configuration>();
  readonly revisions = new Map<string, Revision>();
  readonly routes = new Map<string, Route>();
  readonly file: string;
  #resourceVersion = 0;
  #chain: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  private constructor(file: string) {
    this.file = file;
  }

  /** An empty store that is never written (tests, dry runs). */
  static memory(): Store {
    return new Store('');
  }

  /** Loads `<dataDir>/state.json`, or starts empty if there is none; creates the directory. */
  static async open(dataDir: string): Promise<Store> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const store = new Store(path.join(dataDir, STATE_FILE));
    let text: string;
    try {
      text = await readFile(store.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw new StoreError(`cannot read ${store.file}: ${(err as Error).message}`, { cause: err });
    }
    store.#load(text);
    return store;
  }

  #load(text: string): void {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new StoreError(`${this.file} is not valid JSON (${(err as Error).message}); move it away to start empty`, { cause: err });
    }
    if (!isObject(data) || data['kind'] !== FORMAT || data['version'] !== VERSION) {
      throw new StoreError(`${this.file} is not a kdp state file (kind ${FORMAT}, version ${VERSION}); move it away to start empty`);
    }
    const state = data as unknown as StateFile;
    this.#resourceVersion = typeof state.resourceVersion === 'number' ? state.resourceVersion : 0;
    fill(this.services, state.services, 'Service', this.file);
    fill(this.configurations, state.configurations, 'Configuration', this.file);
    fill(this.revisions, state.revisions, 'Revision', this.file);
    fill(this.routes, state.routes, 'Route', this.file);
  }

  /** The next `metadata.resourceVersion`: one counter for all objects, as etcd's revision. */
  nextResourceVersion(): string {
    this.#resourceVersion += 1;
    return String(this.#resourceVersion);
  }

  /** Writes the current state; resolves once a write that started after this call has finished. */
  save(): Promise<void> {
    if (this.file === '') return Promise.resolve();
    if (this.#queued !== undefined) return this.#queued;
    const p = this.#chain.then(() => {
      this.#queued = undefined;
      return this.#write();
    });
    this.#queued = p;
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /** Resolves when every requested write has finished (shutdown). */
  async flush(): Promise<void> {
    await this.#chain;
  }

  async #write(): Promise<void> {
    const state: StateFile = {
      kind: FORMAT,
      version: VERSION,
      resourceVersion: this.#resourceVersion,
      services: [...this.services.values()],
      configurations: [...this.configurations.values()],
      revisions: [...this.revisions.values()],
      routes: [...this.routes.values()],
    };
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(state, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, this.file);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
}

function fill<T extends KnativeObject>(map: Map<string, T>, list: unknown, kind: T['kind'], file: string): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new StoreError(`${file}: ${kind} list is not an array`);
  for (const o of list as unknown[]) {
    if (!isObject(o) || o['kind'] !== kind || !isObject(o['metadata'])) {
      throw new StoreError(`${file}: an entry of the ${kind} list is not a ${kind}`);
    }
    const obj = o as unknown as T;
    map.set(objectKey(obj), obj);
  }
}
