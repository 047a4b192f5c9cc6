// Scrapes a revision's queue-proxies for their `Stat`, following serving: pkg/autoscaler/metrics/stats_scraper.go
// (`serviceScraper.scrapePods`, `computeAverages`) and http_scrape_client.go (`httpScrapeClient.Do`,
// `statFromProto`). Only direct pod scraping: kdp has no mesh, so there is no fallback to scraping a Service.
// HTTP goes through undici, the project's HTTP client: one keep-alive connection per pod, closed when the pod leaves
// the revision's pod list (or the revision is forgotten, or the scraper closed).
import { Client, getGlobalDispatcher } from 'undici';
import type { Dispatcher } from 'undici';
import { STAT_MAX_BYTES, decodeStat, type Clock, type Stat } from '@kdp/core';
import { ScrapeError, ScrapeFailure } from './errors.js';
import { populationMeanSampleSize } from './sample-size.js';

/** One ready pod of a revision, as the runtime knows it. Times are on the autoscaler clock's timeline. */
export interface PodTarget {
  /** For messages only. */
  readonly name: string;
  /** Address of the queue-proxy, e.g. `127.0.0.1`. */
  readonly host: string;
  /** The queue-proxy's Stat port (Knative: 9090). */
  readonly metricsPort: number;
  /** When the pod started; pods younger than the stable window are only used when older ones are too few. */
  readonly startedAtMs: number;
}

/** Ready pods of a revision (running, not terminating). */
export type ListPods = (revisionKey: string) => readonly PodTarget[] | Promise<readonly PodTarget[]>;

/** What the autoscaler needs from a scraper. */
export interface StatsScraper {
  /**
   * One aggregated Stat for the revision (pod name `service-scraper`), or `null` when it has no pods: then nothing
   * is recorded, which is not the same as recording zeros. Rejects with `ScrapeError` when too few pods answered.
   */
  scrape(revisionKey: string, stableWindowMs: number, signal?: AbortSignal): Promise<Stat | null>;
  /** The revision is gone: release what was kept for scraping it (its pods' connections). */
  forget?(revisionKey: string): void;
}

export const PROTOBUF_MIME = 'application/protobuf';
/** Knative's name for the aggregated stat, so stats are known to come from either the scraper or the activator. */
export const SCRAPER_POD_NAME = 'service-scraper';

export interface FetchPodStatOptions {
  /** Whole exchange, connect to last body byte (Go's http.Client.Timeout). */
  readonly timeoutMs: number;
  /** Where the request goes (e.g. the pod's keep-alive `Client`); undici's global dispatcher when absent. */
  readonly dispatcher?: Dispatcher;
  readonly signal?: AbortSignal;
}

const ACCEPT_PROTOBUF: Readonly<Record<string, string>> = Object.freeze({ accept: PROTOBUF_MIME });

// undici's own deadlines (a head, a pause between body chunks, a connect) count as the scrape timeout too: they are
// set to the same budget, so whichever fires first ends the scrape.
const UNDICI_TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function isUndiciTimeout(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('code' in err)) return false;
  const { code } = err;
  return typeof code === 'string' && UNDICI_TIMEOUT_CODES.has(code);
}

/** `http://host:port` of a pod's Stat endpoint, an IPv6 literal in brackets. */
export function podOrigin(pod: Pick<PodTarget, 'host' | 'metricsPort'>): string {
  return `http://${pod.host.includes(':') ? `[${pod.host}]` : pod.host}:${String(pod.metricsPort)}`;
}

/**
 * `GET http://<host>:<port>/metrics` with `Accept: application/protobuf`. Requires a 2xx status and a
 * `Content-Type` of exactly `application/protobuf`, reads at most 336 bytes, and decodes them as a Stat.
 * As in Knative, a longer body is cut at 336 bytes and decoded as far as that goes (usually failing); the rest is
 * never read.
 */
export function fetchPodStat(pod: Pick<PodTarget, 'host' | 'metricsPort'>, opts: FetchPodStatOptions): Promise<Stat> {
  const origin = podOrigin(pod);
  const url = `${origin}/metrics`;
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal === undefined ? timeout : AbortSignal.any([opts.signal, timeout]);
  return new Promise<Stat>((resolve, reject) => {
    let settled = false;
    const fail = (err: ScrapeError): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    const failFrom = (err: unknown): void => {
      if (timeout.aborted || isUndiciTimeout(err)) {
        fail(new ScrapeError(ScrapeFailure.timeout, `GET ${url} timed out after ${opts.timeoutMs}ms`));
      } else if (signal.aborted) fail(new ScrapeError(ScrapeFailure.aborted, `GET ${url} aborted`, { cause: err }));
      else fail(new ScrapeError(ScrapeFailure.network, `GET ${url}: ${errorText(err)}`, { cause: err }));
    };
    if (signal.aborted) {
      failFrom(signal.reason);
      return;
    }
    const dispatcher = opts.dispatcher ?? getGlobalDispatcher();
    const request: Dispatcher.RequestOptions = {
      origin,
      path: '/metrics',
      method: 'GET',
      headers: ACCEPT_PROTOBUF,
      signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    };
    dispatcher.request(request, (err, res) => {
      if (err !== null) {
        failFrom(err);
        return;
      }
      const { statusCode: status, body } = res;
      if (status < 200 || status >= 300) {
        // Drained (up to undici's dump limit) so the connection serves the next scrape.
        body.dump().catch(() => undefined);
        fail(
          new ScrapeError(ScrapeFailure.status, `GET request for URL "${url}" returned HTTP status ${status}`, {
            status,
          }),
        );
        return;
      }
      const contentType = res.headers['content-type'];
      const type = Array.isArray(contentType) ? contentType[0] : contentType;
      if (type !== PROTOBUF_MIME) {
        body.dump().catch(() => undefined);
        fail(new ScrapeError(ScrapeFailure.contentType, `unsupported metric type from ${url}: ${type ?? '(none)'}`));
        return;
      }
      const buf = Buffer.allocUnsafe(STAT_MAX_BYTES);
      let size = 0;
      const finish = (): void => {
        if (settled) return;
        try {
          const stat = decodeStat(buf.subarray(0, size));
          settled = true;
          resolve(stat);
        } catch (err) {
          fail(new ScrapeError(ScrapeFailure.decode, `GET ${url}: ${errorText(err)}`, { cause: err }));
        }
      };
      body.on('data', (chunk: Buffer) => {
        if (settled) return;
        const n = chunk.copy(buf, size, 0, Math.min(chunk.length, STAT_MAX_BYTES - size));
        size += n;
        if (n < chunk.length) {
          // Over the cap: decode what fits and stop reading. Destroying the body costs this connection (the next
          // scrape opens another); a real Stat is never this long.
          finish();
          body.destroy();
        }
      });
      body.on('end', finish);
      body.on('error', failFrom);
      body.on('close', () => {
        if (!settled) failFrom(new Error('response closed before its end'));
      });
    });
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface HttpStatsScraperOptions {
  readonly listPods: ListPods;
  /** Same timeline as `PodTarget.startedAtMs`. */
  readonly clock: Pick<Clock, 'now'>;
  /** Default 3000 (stats_scraper.go httpClientTimeout). */
  readonly timeoutMs?: number;
  /**
   * Dispatcher shared by all scrapes (not closed by `close()`). When absent, the scraper keeps one keep-alive
   * connection per pod, closes it when the pod leaves its revision's list, and closes them all on `close()`.
   */
  readonly dispatcher?: Dispatcher;
  /** For the sample shuffle; default Math.random. */
  readonly random?: () => number;
  /** Replaces the HTTP fetch (tests). */
  readonly fetchStat?: (pod: PodTarget, signal: AbortSignal) => Promise<Stat>;
}

/** Scrapes every (or a sample of the) ready pods of a revision over HTTP. */
export class HttpStatsScraper implements StatsScraper {
  private readonly listPods: ListPods;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly random: () => number;
  private readonly fetchStat: (pod: PodTarget, signal: AbortSignal) => Promise<Stat>;
  /** Owned keep-alive connections by pod origin; undefined when a dispatcher or `fetchStat` was given. */
  private readonly clients: Map<string, Client> | undefined;
  /** Pod origins of each revision's last pod list, to close the connections of pods that left. */
  private readonly originsByRevision = new Map<string, ReadonlySet<string>>();

  constructor(opts: HttpStatsScraperOptions) {
    const timeoutMs = opts.timeoutMs ?? 3000;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, was ${timeoutMs}`);
    this.listPods = opts.listPods;
    this.clock = opts.clock;
    this.random = opts.random ?? Math.random;
    // Keep-alive, as Knative's direct-scrape client: one connection per pod reused every second.
    const shared = opts.dispatcher;
    this.clients = shared === undefined && opts.fetchStat === undefined ? new Map() : undefined;
    this.fetchStat =
      opts.fetchStat ??
      ((pod, signal) => fetchPodStat(pod, { timeoutMs, signal, dispatcher: shared ?? this.clientFor(pod) }));
  }

  async scrape(revisionKey: string, stableWindowMs: number, signal?: AbortSignal): Promise<Stat | null> {
    const pods = await this.listPods(revisionKey);
    // Cancelled (the revision removed) while its pods were listed: open no connection for it.
    if (signal?.aborted === true) throw new ScrapeError(ScrapeFailure.aborted, `scrape of ${revisionKey} aborted`);
    this.retain(revisionKey, pods);
    if (pods.length === 0) return null;
    const now = this.clock.now();
    const older: PodTarget[] = [];
    const younger: PodTarget[] = [];
    for (const p of pods) (now - p.startedAtMs >= stableWindowMs ? older : younger).push(p);

    const total = pods.length;
    const sampleSize = populationMeanSampleSize(total);
    // Enough old pods: a random sample of them, young ones only as backups. Too few: all old ones, then random
    // young ones.
    if (older.length < sampleSize) this.shuffle(younger);
    else this.shuffle(older);
    const order = [...older, ...younger];

    // As Knative's errgroup: `sampleSize` workers take the next pod until one answers; the first worker that runs
    // out of pods fails the scrape and cancels the others.
    const group = new AbortController();
    const onAbort = (): void => {
      group.abort();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const results: Stat[] = [];
    let next = 0;
    let lastError: unknown;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        const pod = order[i];
        if (pod === undefined || group.signal.aborted) {
          group.abort();
          throw new ScrapeError(
            signal?.aborted === true ? ScrapeFailure.aborted : ScrapeFailure.podsExhausted,
            `too many pods of ${revisionKey} failed scraping for meaningful interpolation ` +
              `(${results.length} of ${sampleSize} needed)`,
            { cause: lastError },
          );
        }
        try {
          results.push(await this.fetchStat(pod, group.signal));
          return;
        } catch (err) {
          lastError = err;
        }
      }
    };
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: sampleSize }, worker));
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return averageStats(results, sampleSize, total);
  }

  /** Closes the connections to the revision's pods (a pod shared with another revision keeps its connection). */
  forget(revisionKey: string): void {
    this.retain(revisionKey, []);
  }

  /** Closes every connection this scraper opened; scrapes in flight fail. */
  close(): void {
    const clients = this.clients;
    if (clients === undefined) return;
    for (const client of clients.values()) client.destroy().catch(() => undefined);
    clients.clear();
    this.originsByRevision.clear();
  }

  /** The pod's keep-alive connection, opened on first use. */
  private clientFor(pod: PodTarget): Dispatcher {
    const origin = podOrigin(pod);
    const clients = this.clients;
    if (clients === undefined) throw new Error('HttpStatsScraper: no owned connections');
    let client = clients.get(origin);
    if (client === undefined) {
      client = new Client(origin);
      clients.set(origin, client);
    }
    return client;
  }

  /** Records the revision's current pods and closes the connections of pods no revision lists any more. */
  private retain(revisionKey: string, pods: readonly PodTarget[]): void {
    const clients = this.clients;
    if (clients === undefined) return;
    const before = this.originsByRevision.get(revisionKey);
    const now = new Set<string>();
    for (const pod of pods) now.add(podOrigin(pod));
    if (now.size === 0) this.originsByRevision.delete(revisionKey);
    else this.originsByRevision.set(revisionKey, now);
    if (before === undefined) return;
    for (const origin of before) {
      if (now.has(origin) || this.listed(origin)) continue;
      const client = clients.get(origin);
      if (client === undefined) continue;
      clients.delete(origin);
      // Graceful: a request still in flight on it finishes first.
      client.close().catch(() => undefined);
    }
  }

  private listed(origin: string): boolean {
    for (const origins of this.originsByRevision.values()) if (origins.has(origin)) return true;
    return false;
  }

  private shuffle(a: PodTarget[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const t = a[i];
      const u = a[j];
      if (t === undefined || u === undefined) continue;
      a[i] = u;
      a[j] = t;
    }
  }
}

/**
 * Sums the sampled pods' stats and scales them from `sample` pods to `total` pods, assuming the others look alike
 * (stats_scraper.go computeAverages, collector.go Stat.add/average).
 */
export function averageStats(stats: readonly Stat[], sample: number, total: number): Stat {
  let c = 0;
  let pc = 0;
  let rc = 0;
  let prc = 0;
  for (const s of stats) {
    c += s.averageConcurrentRequests;
    pc += s.averageProxiedConcurrentRequests;
    rc += s.requestCount;
    prc += s.proxiedRequestCount;
  }
  return {
    podName: SCRAPER_POD_NAME,
    averageConcurrentRequests: (c / sample) * total,
    averageProxiedConcurrentRequests: (pc / sample) * total,
    requestCount: (rc / sample) * total,
    proxiedRequestCount: (prc / sample) * total,
    processUptime: 0,
    timestamp: 0,
  };
}
