// Scrapes a revision's queue-proxies for their `Stat`, following serving: pkg/autoscaler/metrics/stats_scraper.go
// (`serviceScraper.scrapePods`, `computeAverages`) and http_scrape_client.go (`httpScrapeClient.Do`,
// `statFromProto`). Only direct pod scraping: kdp has no mesh, so there is no fallback to scraping a Service.
import { Agent, request } from 'node:http';
import { STAT_MAX_BYTES, decodeStat, type Stat } from '@kdp/core';
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
}

export const PROTOBUF_MIME = 'application/protobuf';
/** Knative's name for the aggregated stat, so stats are known to come from either the scraper or the activator. */
export const SCRAPER_POD_NAME = 'service-scraper';

export interface FetchPodStatOptions {
  /** Whole exchange, connect to last body byte (Go's http.Client.Timeout). */
  readonly timeoutMs: number;
  readonly agent?: Agent;
  readonly signal?: AbortSignal;
}

/**
 * `GET http://<host>:<port>/metrics` with `Accept: application/protobuf`. Requires a 2xx status and a
 * `Content-Type` of exactly `application/protobuf`, reads at most 336 bytes, and decodes them as a Stat.
 * As in Knative, a longer body is cut at 336 bytes and decoded as far as that goes (usually failing).
 */
export function fetchPodStat(pod: Pick<PodTarget, 'host' | 'metricsPort'>, opts: FetchPodStatOptions): Promise<Stat> {
  const url = `http://${pod.host}:${pod.metricsPort}/metrics`;
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
      if (timeout.aborted) {
        fail(new ScrapeError(ScrapeFailure.timeout, `GET ${url} timed out after ${opts.timeoutMs}ms`));
      } else if (signal.aborted) fail(new ScrapeError(ScrapeFailure.aborted, `GET ${url} aborted`, { cause: err }));
      else fail(new ScrapeError(ScrapeFailure.network, `GET ${url}: ${errorText(err)}`, { cause: err }));
    };
    if (signal.aborted) {
      failFrom(signal.reason);
      return;
    }
    const req = request({
      host: pod.host,
      port: pod.metricsPort,
      path: '/metrics',
      method: 'GET',
      headers: { accept: PROTOBUF_MIME },
      signal,
      ...(opts.agent === undefined ? {} : { agent: opts.agent }),
    });
    req.on('error', failFrom);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        res.resume();
        fail(
          new ScrapeError(ScrapeFailure.status, `GET request for URL "${url}" returned HTTP status ${status}`, {
            status,
          }),
        );
        return;
      }
      if (res.headers['content-type'] !== PROTOBUF_MIME) {
        res.resume();
        const type = res.headers['content-type'] ?? '(none)';
        fail(new ScrapeError(ScrapeFailure.contentType, `unsupported metric type from ${url}: ${type}`));
        return;
      }
      const body = Buffer.allocUnsafe(STAT_MAX_BYTES);
      let size = 0;
      const finish = (): void => {
        if (settled) return;
        try {
          const stat = decodeStat(body.subarray(0, size));
          settled = true;
          resolve(stat);
        } catch (err) {
          fail(new ScrapeError(ScrapeFailure.decode, `GET ${url}: ${errorText(err)}`, { cause: err }));
        }
      };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        const n = chunk.copy(body, size, 0, Math.min(chunk.length, STAT_MAX_BYTES - size));
        size += n;
        if (n < chunk.length) {
          // Over the limit: stop reading (this costs the keep-alive connection; a real Stat is never this long).
          res.destroy();
          finish();
        }
      });
      res.on('end', finish);
      res.on('error', failFrom);
      res.on('close', () => {
        if (!settled) failFrom(new Error('response closed before its end'));
      });
    });
    req.end();
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface HttpStatsScraperOptions {
  readonly listPods: ListPods;
  /** Same timeline as `PodTarget.startedAtMs`. */
  readonly clock: { now(): number };
  /** Default 3000 (stats_scraper.go httpClientTimeout). */
  readonly timeoutMs?: number;
  /** Keep-alive agent shared by all scrapes; one is created (and closed by `close()`) when absent. */
  readonly agent?: Agent;
  /** For the sample shuffle; default Math.random. */
  readonly random?: () => number;
  /** Replaces the HTTP fetch (tests). */
  readonly fetchStat?: (pod: PodTarget, signal: AbortSignal) => Promise<Stat>;
}

/** Scrapes every (or a sample of the) ready pods of a revision over HTTP. */
export class HttpStatsScraper implements StatsScraper {
  private readonly listPods: ListPods;
  private readonly clock: { now(): number };
  private readonly random: () => number;
  private readonly fetchStat: (pod: PodTarget, signal: AbortSignal) => Promise<Stat>;
  private readonly ownedAgent: Agent | undefined;

  constructor(opts: HttpStatsScraperOptions) {
    const timeoutMs = opts.timeoutMs ?? 3000;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, was ${timeoutMs}`);
    this.listPods = opts.listPods;
    this.clock = opts.clock;
    this.random = opts.random ?? Math.random;
    // Keep-alive, as Knative's direct-scrape client: one connection per pod reused every second.
    const needsAgent = opts.agent === undefined && opts.fetchStat === undefined;
    this.ownedAgent = needsAgent ? new Agent({ keepAlive: true }) : undefined;
    const agent = opts.agent ?? this.ownedAgent;
    this.fetchStat =
      opts.fetchStat ??
      ((pod, signal) => fetchPodStat(pod, agent === undefined ? { timeoutMs, signal } : { timeoutMs, agent, signal }));
  }

  async scrape(revisionKey: string, stableWindowMs: number, signal?: AbortSignal): Promise<Stat | null> {
    const pods = await this.listPods(revisionKey);
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

  /** Closes idle keep-alive connections of the agent this scraper created. */
  close(): void {
    this.ownedAgent?.destroy();
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
