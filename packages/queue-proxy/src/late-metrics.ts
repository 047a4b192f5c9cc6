/**
 * The request metrics, attached once prom-client has loaded (after the listeners are up). Observations made before
 * that (the first milliseconds of the process) are kept, up to a bound, and replayed; scrapes wait for the registry.
 */
import type { RequestMetrics } from './handler.js';
import type { TextRegistry } from './servers.js';

export interface LoadedMetrics extends RequestMetrics {
  readonly registry: TextRegistry;
}

/** Bound on observations kept before prom-client loaded (it loads within ~50 ms of start). */
const MAX_EARLY = 10_000;

export class LateMetrics implements RequestMetrics, TextRegistry {
  private target: LoadedMetrics | null = null;
  private loading: Promise<LoadedMetrics> | null = null;
  /** Called by a scrape that comes before the deferred load started. */
  onDemand: (() => void) | null = null;
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';

  /** [status, seconds, status, seconds, ...] observed before the registry existed. */
  private early: number[] = [];
  private depth = -1;

  get attached(): boolean {
    return this.loading !== null;
  }

  attach(loading: Promise<LoadedMetrics>): void {
    this.loading = loading.then((m) => {
      for (let i = 0; i + 1 < this.early.length; i += 2) m.observe(this.early[i] ?? 0, this.early[i + 1] ?? 0);
      this.early = [];
      if (this.depth >= 0) m.setQueueDepth(this.depth);
      this.target = m;
      return m;
    });
  }

  observe(status: number, seconds: number): void {
    const t = this.target;
    if (t !== null) t.observe(status, seconds);
    else if (this.early.length < MAX_EARLY * 2) this.early.push(status, seconds);
  }

  setQueueDepth(n: number): void {
    const t = this.target;
    if (t !== null) t.setQueueDepth(n);
    else this.depth = n;
  }

  async metrics(): Promise<string> {
    if (this.loading === null) this.onDemand?.();
    const m = this.target ?? (this.loading === null ? null : await this.loading);
    if (m === null) throw new Error('metrics not loaded');
    return m.registry.metrics();
  }
}
