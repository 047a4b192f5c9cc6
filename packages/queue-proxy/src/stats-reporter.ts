/**
 * Closes a 1 s stats window every period and keeps the encoded `Stat` ready for the autoscaler's scrape
 * (`S:pkg/queue/protobuf_stats_reporter.go`): counts are divided by the period in seconds, `process_uptime` is
 * seconds since the reporter started, `timestamp` is never set.
 */
import { encodeStat } from '@kdp/core';
import type { RequestStats } from '@kdp/core';

export class StatsReporter {
  private encoded: Uint8Array;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stats: RequestStats,
    private readonly podName: string,
    private readonly now: () => number,
    private readonly startedAt: number,
    private readonly periodMs = 1000,
  ) {
    // A scrape before the first report returns just the pod name.
    this.encoded = encodeStat({ podName });
  }

  current = (): Uint8Array => this.encoded;

  report(): void {
    const now = this.now();
    const r = this.stats.report(now);
    const periodS = this.periodMs / 1000;
    this.encoded = encodeStat({
      podName: this.podName,
      averageConcurrentRequests: r.averageConcurrency,
      averageProxiedConcurrentRequests: r.averageProxiedConcurrency,
      requestCount: r.requestCount / periodS,
      proxiedRequestCount: r.proxiedRequestCount / periodS,
      processUptime: (now - this.startedAt) / 1000,
    });
  }

  start(): void {
    this.timer = setInterval(() => this.report(), this.periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
