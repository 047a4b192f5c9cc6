import { describe, expect, it } from 'vitest';
import { CliError } from './args.js';
import { serveConfig } from './config.js';

describe('kdp serve eventing configuration', () => {
  it('defaults to the embedded store with synchronous=FULL', () => {
    const c = serveConfig({}, {}, '/tmp');
    expect(c.eventingSync).toBe('full');
    expect(c.eventingBackend).toBeUndefined();
  });
  it.each([
    [{ 'eventing-sync': 'normal' }, {}, 'normal', undefined],
    [{}, { KDP_EVENTING_SYNC: 'NORMAL' }, 'normal', undefined],
    [{ 'eventing-backend': 'nats://127.0.0.1:4222' }, {}, 'full', 'nats://127.0.0.1:4222'],
    [{}, { KDP_EVENTING_BACKEND: 'embedded' }, 'full', undefined],
  ])('%j %j', (flags, env, sync, backend) => {
    const c = serveConfig(flags, env, '/tmp');
    expect(c.eventingSync).toBe(sync);
    expect(c.eventingBackend).toBe(backend);
  });
  it('reports every bad value at once, naming the flag or variable', () => {
    let err: unknown;
    try {
      serveConfig({ 'eventing-sync': 'sometimes' }, { KDP_EVENTING_BACKEND: 'redis://x' }, '/tmp');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toBe(
      'invalid kdp serve configuration:\n  --eventing-sync: "sometimes": expected full or normal\n  KDP_EVENTING_BACKEND: "redis://x": expected nats://HOST:PORT or embedded',
    );
  });
});
