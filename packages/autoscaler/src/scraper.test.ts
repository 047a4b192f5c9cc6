import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_STAT, encodeStat, type Stat } from '@kdp/core';
import { ScrapeError } from './errors.js';
import { HttpStatsScraper, averageStats, fetchPodStat, type PodTarget } from './scraper.js';

const servers: Server[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
    await once(s, 'close');
  }
});

const podStat: Stat = {
  ...EMPTY_STAT,
  podName: 'hello-00001-abc',
  averageConcurrentRequests: 2.5,
  averageProxiedConcurrentRequests: 0.5,
  requestCount: 12,
  proxiedRequestCount: 2,
  processUptime: 90,
};

describe('fetchPodStat against a real HTTP server', () => {
  it('GETs /metrics with Accept: application/protobuf and decodes the Stat', async () => {
    const seen: { method?: string | undefined; url?: string | undefined; accept?: string | undefined } = {};
    const port = await serve((req, res) => {
      seen.method = req.method;
      seen.url = req.url;
      seen.accept = req.headers.accept;
      res.writeHead(200, { 'Content-Type': 'application/protobuf' });
      res.end(encodeStat(podStat));
    });
    await expect(fetchPodStat({ host: '127.0.0.1', metricsPort: port }, { timeoutMs: 3000 })).resolves.toEqual(podStat);
    expect(seen).toEqual({ method: 'GET', url: '/metrics', accept: 'application/protobuf' });
  });

  it.each([
    { name: 'a 503', status: 503, type: 'application/protobuf', reason: 'status' },
    { name: 'a 404', status: 404, type: 'text/plain', reason: 'status' },
    { name: 'Prometheus text', status: 200, type: 'text/plain; version=0.0.4', reason: 'content-type' },
    { name: 'a Content-Type with parameters', status: 200, type: 'application/protobuf; charset=utf-8', reason: 'content-type' },
  ])('rejects $name (reason $reason)', async ({ status, type, reason }) => {
    const port = await serve((_req, res) => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(encodeStat(podStat));
    });
    const err = await fetchPodStat({ host: '127.0.0.1', metricsPort: port }, { timeoutMs: 3000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScrapeError);
    expect((err as ScrapeError).reason).toBe(reason);
    if (reason === 'status') expect((err as ScrapeError).status).toBe(status);
  });

  it('accepts any 2xx', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(203, { 'Content-Type': 'application/protobuf' });
      res.end(encodeStat({ podName: 'p' }));
    });
    await expect(fetchPodStat({ host: '127.0.0.1', metricsPort: port }, { timeoutMs: 3000 })).resolves.toMatchObject({ podName: 'p' });
  });

  it('reads at most 336 bytes: a longer body is cut there, and the cut Stat fails to decode', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/protobuf' });
      res.end(encodeStat({ podName: 'x'.repeat(400) }));
    });
    const err = await fetchPodStat({ host: '127.0.0.1', metricsPort: port }, { timeoutMs: 3000 }).catch((e: unknown) => e);
    expect((err as ScrapeError).reason).toBe('decode');
  });

  it('times out a pod that never answers', async () => {
    const port = await serve(() => {
      // never respond
    });
    const err = await fetchPodStat({ host: '127.0.0.1', metricsPort: port }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect((err as ScrapeError).reason).toBe('timeout');
  });

  it('times out a body that stalls after the headers', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/protobuf', 'Content-Length': '50' });
      res.write(Buffer.from('0a', 'hex'));
    });
    const err = await fetchPodStat({ host: '127.0.0.1', metricsPort: port }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect((err as ScrapeError).reason).toBe('timeout');
  });

  it('reports a refused connection as a network failure', async () => {
    const port = await serve(() => {});
    const s = servers.pop();
    s?.close();
    if (s !== undefined) await once(s, 'close');
    const err = await fetchPodStat({ host: '127.0.0.1', metricsPort: port }, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect((err as ScrapeError).reason).toBe('network');
  });

  it('HttpStatsScraper scrapes real pods over keep-alive and reports them as service-scraper', async () => {
    let connections = 0;
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/protobuf' });
      res.end(encodeStat(podStat));
    });
    servers[0]?.on('connection', () => connections++);
    const pod: PodTarget = { name: 'p1', host: '127.0.0.1', metricsPort: port, startedAtMs: 0 };
    const scraper = new HttpStatsScraper({ listPods: () => [pod], clock: { now: () => 100_000 } });
    try {
      for (let i = 0; i < 3; i++) {
        const stat = await scraper.scrape('default/hello-00001', 60_000);
        expect(stat).toMatchObject({ podName: 'service-scraper', averageConcurrentRequests: 2.5, requestCount: 12 });
      }
      expect(connections).toBe(1);
    } finally {
      scraper.close();
    }
  });
});

describe('HttpStatsScraper sampling (stats_scraper.go scrapePods)', () => {
  const pods = (n: number, startedAtMs: number, prefix = 'p'): PodTarget[] =>
    Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, host: `${prefix}${i}`, metricsPort: 9090, startedAtMs }));
  const statFor = (pod: PodTarget): Stat => ({ ...EMPTY_STAT, podName: pod.name, averageConcurrentRequests: 1, requestCount: 2 });

  it('no pods: null, so nothing is recorded (not zeros)', async () => {
    const scraper = new HttpStatsScraper({ listPods: () => [], clock: { now: () => 0 }, fetchStat: () => Promise.reject(new Error('unused')) });
    await expect(scraper.scrape('r', 60_000)).resolves.toBeNull();
  });

  it('10 pods: scrapes a sample of 7 old ones and scales the sum by 10/7', async () => {
    const scraped: string[] = [];
    const scraper = new HttpStatsScraper({
      listPods: () => pods(10, 0),
      clock: { now: () => 120_000 },
      fetchStat: (pod) => {
        scraped.push(pod.name);
        return Promise.resolve(statFor(pod));
      },
    });
    const stat = await scraper.scrape('r', 60_000);
    expect(scraped).toHaveLength(7);
    expect(new Set(scraped).size).toBe(7);
    expect(stat?.averageConcurrentRequests).toBeCloseTo(10, 10);
    expect(stat?.requestCount).toBeCloseTo(20, 10);
  });

  it('young pods are only backups while there are enough old pods', async () => {
    const scraped: string[] = [];
    const scraper = new HttpStatsScraper({
      listPods: () => [...pods(2, 100_000, 'young'), ...pods(8, 0, 'old')],
      clock: { now: () => 120_000 },
      fetchStat: (pod) => {
        scraped.push(pod.name);
        return Promise.resolve(statFor(pod));
      },
    });
    await scraper.scrape('r', 60_000);
    expect(scraped.every((n) => n.startsWith('old'))).toBe(true);
  });

  it('a failed pod is replaced by the next one', async () => {
    const scraper = new HttpStatsScraper({
      listPods: () => pods(5, 0),
      clock: { now: () => 120_000 },
      random: () => 0.999, // no shuffle: p0..p4 in order
      fetchStat: (pod) => (pod.name === 'p1' ? Promise.reject(new Error('boom')) : Promise.resolve(statFor(pod))),
    });
    // 5 pods → sample 4; p1 fails, p4 stands in.
    const stat = await scraper.scrape('r', 60_000);
    expect(stat?.averageConcurrentRequests).toBeCloseTo(5, 10);
  });

  it('too few answers: pods-exhausted, with the pod error as cause', async () => {
    const boom = new Error('boom');
    const scraper = new HttpStatsScraper({
      listPods: () => pods(2, 0),
      clock: { now: () => 120_000 },
      fetchStat: (pod) => (pod.name === 'p0' ? Promise.reject(boom) : Promise.resolve(statFor(pod))),
    });
    const err = await scraper.scrape('r', 60_000).catch((e: unknown) => e);
    expect((err as ScrapeError).reason).toBe('pods-exhausted');
    expect((err as ScrapeError).cause).toBe(boom);
  });

  it('averageStats (Stat.add, Stat.average)', () => {
    const s = averageStats(
      [
        { ...podStat, averageConcurrentRequests: 1, averageProxiedConcurrentRequests: 1, requestCount: 3, proxiedRequestCount: 1 },
        { ...podStat, averageConcurrentRequests: 3, averageProxiedConcurrentRequests: 0, requestCount: 5, proxiedRequestCount: 1 },
      ],
      2,
      6,
    );
    expect(s).toEqual({
      podName: 'service-scraper',
      averageConcurrentRequests: 12,
      averageProxiedConcurrentRequests: 3,
      requestCount: 24,
      proxiedRequestCount: 6,
      processUptime: 0,
      timestamp: 0,
    });
  });
});
