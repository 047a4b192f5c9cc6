import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PortAllocator } from './ports.js';
import type { PodPorts } from './revision-spec.js';

function values(p: PodPorts): number[] {
  return [p.user, p.queue, p.queueTls, p.admin, p.metrics, p.userMetrics];
}

describe('PortAllocator', () => {
  it('hands out six distinct ports that can be bound, and takes them back', async () => {
    const a = new PortAllocator();
    const ports = await a.allocate();
    const list = values(ports);
    expect(new Set(list).size).toBe(6);
    expect(a.size).toBe(6);
    for (const port of list) {
      const s = createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject).listen(port, '127.0.0.1', resolve);
      });
      await new Promise((r) => s.close(r));
    }
    a.release(ports);
    expect(a.size).toBe(0);
    expect(list.some((p) => a.isReserved(p))).toBe(false);
  });

  it('never gives the same port to concurrent allocations', async () => {
    const a = new PortAllocator();
    const all = (await Promise.all(Array.from({ length: 20 }, () => a.allocate()))).flatMap(values);
    expect(new Set(all).size).toBe(all.length);
    expect(a.size).toBe(all.length);
  });

  it('fails with a message naming the host when nothing can be bound', async () => {
    const a = new PortAllocator({ host: '192.0.2.1', maxRounds: 1 });
    await expect(a.allocate()).rejects.toThrow(/could not find 6 free ports on 192\.0\.2\.1 after 1 rounds: .*EADDRNOTAVAIL/);
    expect(a.size).toBe(0);
  });
});
