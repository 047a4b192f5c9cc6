// The scraper's HTTP connections against real servers on 127.0.0.1: one keep-alive connection per pod, closed when
// the pod leaves the revision's list, when the revision is forgotten and on close(); the deadline and the body cap.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_STAT, encodeStat, type Stat } from '@kdp/core';
import { Autoscaler } from './autoscaler.js';
import { ScrapeError } from './errors.js';
import { HttpStatsScraper, fetchPodStat, type PodTarget, type StatsScraper } from './scraper.js';

interface Pod {
  readonly target: PodTarget;
  readonly server: Server;
  /** Accepted connections, in order. */
  readonly sockets: Socket[];
  requests: number;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const stat = (name: string): Stat => ({ ...EMPTY_STAT, podName: name, averageConcurrentRequests: 1, requestCount: 3 });

async function startPod(name: string, handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<Pod> {
  const sockets: Socket[] = [];
  const server = createServer((req, res) => {
    pod.requests++;
    if (handler !== undefined) {
      handler(req, res);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/protobuf' });
    res.end(encodeStat(stat(name)));
  });
  server.on('connection', (s: Socket) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  const port = (server.address() as AddressInfo).port;
  const pod: Pod = { target: { name, host: '127.0.0.1', metricsPort: port, startedAtMs: 0 }, server, sockets, requests: 0 };
  return pod;
}

/** Resolves when the server side of `socket` has closed (a reset counts). */
async function closed(socket: Socket | undefined): Promise<void> {
  if (socket === undefined) throw new Error('no such connection');
  if (socket.destroyed) return;
  await new Promise((resolve) => socket.once('close', resolve));
}

function scraperOver(list: () => readonly PodTarget[]): HttpStatsScraper {
  const scraper = new HttpStatsScraper({ listPods: list, clock: { now: () => 100_000 } });
  cleanups.push(() => scraper.close());
  return scraper;
}

describe('HttpStatsScraper connections', () => {
  it('keeps one connection per pod across scrapes', async () => {
    const a = await startPod('a');
    const b = await startPod('b');
    const scraper = scraperOver(() => [a.target, b.target]);
    for (let i = 0; i < 4; i++) {
      expect(await scraper.scrape('ns/rev', 60_000)).toMatchObject({ podName: 'service-scraper', requestCount: 6 });
    }
    expect([a.requests, b.requests]).toEqual([4, 4]);
    expect([a.sockets.length, b.sockets.length]).toEqual([1, 1]);
  });

  it('closes the connection of a pod that left the list, and keeps the others', async () => {
    const a = await startPod('a');
    const b = await startPod('b');
    let pods = [a.target, b.target];
    const scraper = scraperOver(() => pods);
    await scraper.scrape('ns/rev', 60_000);
    pods = [a.target];
    await scraper.scrape('ns/rev', 60_000);
    await closed(b.sockets[0]);
    expect(a.sockets[0]?.destroyed).toBe(false);
    expect(a.sockets).toHaveLength(1);
    // No pods at all: the last connection goes too.
    pods = [];
    expect(await scraper.scrape('ns/rev', 60_000)).toBeNull();
    await closed(a.sockets[0]);
  });

  it('forget() closes the revision\'s connections, not those of another revision', async () => {
    const a = await startPod('a');
    const b = await startPod('b');
    const scraper = new HttpStatsScraper({
      listPods: (rev) => (rev === 'ns/one' ? [a.target] : [b.target]),
      clock: { now: () => 100_000 },
    });
    cleanups.push(() => scraper.close());
    await scraper.scrape('ns/one', 60_000);
    await scraper.scrape('ns/two', 60_000);
    scraper.forget('ns/one');
    await closed(a.sockets[0]);
    expect(b.sockets[0]?.destroyed).toBe(false);
    await scraper.scrape('ns/two', 60_000);
    expect(b.sockets).toHaveLength(1);
  });

  it('close() closes every connection', async () => {
    const a = await startPod('a');
    const b = await startPod('b');
    const scraper = new HttpStatsScraper({ listPods: () => [a.target, b.target], clock: { now: () => 100_000 } });
    await scraper.scrape('ns/rev', 60_000);
    scraper.close();
    await Promise.all([closed(a.sockets[0]), closed(b.sockets[0])]);
  });

  it('the autoscaler lets go of a removed revision\'s connections', () => {
    const forgotten: string[] = [];
    const scraper: StatsScraper = {
      scrape: () => Promise.resolve(null),
      forget: (rev) => forgotten.push(rev),
    };
    const as = new Autoscaler({ scraper, clock: { now: () => 0 }, readyPods: () => 0, onDesiredScale: () => undefined });
    cleanups.push(() => as.stop());
    as.upsertRevision('ns/rev');
    as.removeRevision('ns/rev');
    as.removeRevision('ns/unknown');
    expect(forgotten).toEqual(['ns/rev']);
  });
});

describe('fetchPodStat deadline and body cap', () => {
  it('a pod that never answers: timeout at the deadline, and the connection is closed', async () => {
    const pod = await startPod('slow', () => {
      // never answers
    });
    const client = new HttpStatsScraper({ listPods: () => [pod.target], clock: { now: () => 100_000 }, timeoutMs: 200 });
    cleanups.push(() => client.close());
    const started = performance.now();
    const err = await client.scrape('ns/rev', 60_000).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect((err as ScrapeError).reason).toBe('pods-exhausted');
    expect(((err as ScrapeError).cause as ScrapeError).reason).toBe('timeout');
    expect(((err as ScrapeError).cause as ScrapeError).message).toBe(
      `GET http://127.0.0.1:${String(pod.target.metricsPort)}/metrics timed out after 200ms`,
    );
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(5000);
    await closed(pod.sockets[0]);
  });

  it('an endless body: decoded as far as 336 bytes go, the rest never read, the connection closed', async () => {
    let written = 0;
    const pod = await startPod('big', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/protobuf' });
      // A Stat whose pod name is longer than the cap, then filler: cut at 336 bytes it cannot decode.
      res.write(encodeStat(stat('x'.repeat(1000))));
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = (): void => {
        while (!res.destroyed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const err = await fetchPodStat(pod.target, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScrapeError);
    expect((err as ScrapeError).reason).toBe('decode');
    await closed(pod.sockets[0]);
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('a status error keeps the connection for the next scrape', async () => {
    let status = 503;
    const pod = await startPod('flaky', (_req, res) => {
      res.writeHead(status, { 'Content-Type': 'application/protobuf' });
      res.end(encodeStat(stat('flaky')));
    });
    const scraper = scraperOver(() => [pod.target]);
    const err = await scraper.scrape('ns/rev', 60_000).catch((e: unknown) => e);
    expect(((err as ScrapeError).cause as ScrapeError).status).toBe(503);
    status = 200;
    expect(await scraper.scrape('ns/rev', 60_000)).toMatchObject({ requestCount: 3 });
    expect(pod.sockets).toHaveLength(1);
  });
});
