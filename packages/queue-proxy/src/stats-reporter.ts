/**
 * Closes a 1 s stats window every period and keeps the encoded `Stat` ready for the autoscaler's scrape
 * (`S:pkg/queue/protobuf_stats_reporter.go`): counts are divided by the period in seconds, `process_uptime` is
 * seconds since the reporter started, `timestamp` is never set.
 *
 * The protobuf codec (protobufjs, ~20 ms to load) is imported in the background a little after the proxy listens,
 * so it is not on the cold-start path; a scrape that arrives before it loaded loads it and waits for it.
 */
import type { RequestStats } from '@kdp/core/request-stats';
import type { Stat } from '@kdp/core/stat-proto';

type Encode = (stat: Partial<Stat>) => Uint8Array;

export class StatsReporter {
  private encoded: Uint8Array | null = null;
  private encode: Encode | null = null;
  private loading: Promise<Encode> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stats: RequestStats,
    private readonly podName: string,
    private readonly now: () => number,
    private readonly startedAt: number,
    private readonly periodMs = 1000,
  ) {}

  private load(): Promise<Encode> {
    this.loading ??= import('@kdp/core/stat-proto').then((m) => {
      this.encode = m.encodeStat;
      // A scrape before the first report returns just the pod name.
      this.encoded ??= m.encodeStat({ podName: this.podName });
      return m.encodeStat;
    });
    return this.loading;
  }

  /** The current encoded Stat; waits for the codec on the first scrapes of the process. */
  current = (): Uint8Array | Promise<Uint8Array> => {
    const e = this.encoded;
    if (e !== null) return e;
    return this.load().then(() => this.encoded ?? new Uint8Array(0));
  };

  report(): void {
    const encode = this.encode;
    const now = this.now();
    const r = this.stats.report(now);
    if (encode === null) return; // the window still closes; nothing is scraped before the codec loads
    const periodS = this.periodMs / 1000;
    this.encoded = encode({
      podName: this.podName,
      averageConcurrentRequests: r.averageConcurrency,
      averageProxiedConcurrentRequests: r.averageProxiedConcurrency,
      requestCount: r.requestCount / periodS,
      proxiedRequestCount: r.proxiedRequestCount / periodS,
      processUptime: (now - this.startedAt) / 1000,
    });
  }

  /** `loadAfterMs`: when to load the codec if no scrape asked for it first (kept off the cold-start path). */
  start(loadAfterMs = 0): void {
    setTimeout(() => void this.load(), loadAfterMs).unref();
    this.timer = setInterval(() => this.report(), this.periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
