import { ConfigError } from '@kdp/core';
import { QUEUE_PROXY_NODE_FLAGS } from '@kdp/queue-proxy';
import { describe, expect, it } from 'vitest';
import type { ControlPlaneOptions } from './control-plane-api.js';
import { defaultQueueProxyCommand, resolveOptions } from './options.js';

describe('resolveOptions', () => {
  it('applies the defaults', () => {
    const o = resolveOptions({ routerPort: 0 });
    expect(o).toMatchObject({
      routerPort: 0,
      routerHost: '127.0.0.1',
      domain: 'localhost',
      tagHeaderRouting: true,
      drainQuietPeriodSeconds: 1,
      shutdownGraceMs: 5000,
    });
    expect(o.queueProxyCommand).toEqual(defaultQueueProxyCommand());
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('runs the queue-proxy bin found through its package, with its V8 flags', () => {
    const cmd = defaultQueueProxyCommand();
    expect(cmd[0]).toBe(process.execPath);
    expect(cmd.slice(1, -1)).toEqual([...QUEUE_PROXY_NODE_FLAGS]);
    expect(cmd.at(-1)).toMatch(/packages\/queue-proxy\/bin\/kdp-queue-proxy\.js$/);
  });

  it('reports every problem at once', () => {
    const bad: ControlPlaneOptions = {
      routerPort: 70000,
      routerHost: '',
      domain: 'Not A Domain',
      drainQuietPeriodSeconds: -1,
      shutdownGraceMs: Number.NaN,
      probeIntervalMs: 0,
      queueProxyCommand: [],
    };
    let err: unknown;
    try {
      resolveOptions(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).lines.map((l) => l.slice(0, l.indexOf(':')));
    expect(lines).toEqual([
      'routerPort',
      'routerHost',
      'domain',
      'drainQuietPeriodSeconds',
      'shutdownGraceMs',
      'probeIntervalMs',
      'queueProxyCommand',
    ]);
  });
});
