/**
 * Two metric kinds for the request path whose label sets are resolved once, at setup, into series handles:
 * recording is then a few float additions on a typed array. prom-client's own `labels(...).inc()` / `.observe()`
 * hash the label object on every call: measured at ~0.95 µs per request, against ~0.2 µs for the whole activator
 * policy (`handle` + finish on a stub Exchange, Node 20, one core).
 *
 * Both satisfy what a prom-client `Registry` reads from a metric (`name`, `help`, `type`, `aggregator`, `get()`,
 * `reset()`), so they sit in the same registry as ordinary prom-client metrics.
 */
import type { Histogram, Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

interface Sample {
  readonly metricName: string;
  readonly value: number;
  readonly labels: Record<string, string | number>;
}

interface MetricSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: Sample[];
}

/** Register a hand-made metric; prom-client's typings only name its own classes, its Registry needs no more. */
function register(registry: Registry, metric: SeriesCounter | SeriesHistogram): void {
  registry.registerMetric(metric as unknown as Histogram);
}

export class CounterSeries {
  value = 0;
  constructor(readonly labels: Labels) {}
  inc(): void {
    this.value++;
  }
}

export class SeriesCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly #series = new Set<CounterSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    register(registry, this);
  }

  series(labels: Labels): CounterSeries {
    const s = new CounterSeries(labels);
    this.#series.add(s);
    return s;
  }

  remove(s: CounterSeries): void {
    this.#series.delete(s);
  }

  get(): Promise<MetricSnapshot> {
    const values: Sample[] = [];
    for (const s of this.#series) values.push({ metricName: this.name, value: s.value, labels: { ...s.labels } });
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    for (const s of this.#series) s.value = 0;
  }
}

export class HistogramSeries {
  /** Per-bucket (not cumulative) counts, then the +Inf bucket. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: Float64Array,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    // A NaN or infinite value is a clock bug upstream; dropping it keeps the sum usable.
    if (!Number.isFinite(v)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && v > (bounds[i] ?? Infinity)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += v;
    this.count++;
  }
}

export class SeriesHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: Float64Array;
  readonly #buckets: readonly number[];
  readonly #series = new Set<HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
    registry: Registry,
  ) {
    for (let i = 1; i < buckets.length; i++) {
      if (!((buckets[i] ?? 0) > (buckets[i - 1] ?? 0))) throw new RangeError(`${name}: buckets must increase`);
    }
    this.#buckets = buckets;
    this.#bounds = Float64Array.from(buckets);
    register(registry, this);
  }

  series(labels: Labels): HistogramSeries {
    const s = new HistogramSeries(labels, this.#bounds);
    this.#series.add(s);
    return s;
  }

  remove(s: HistogramSeries): void {
    this.#series.delete(s);
  }

  get(): Promise<MetricSnapshot> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.#series) {
      let cumulative = 0;
      for (let i = 0; i < this.#buckets.length; i++) {
        cumulative += s.counts[i] ?? 0;
        values.push({ metricName: bucket, value: cumulative, labels: { ...s.labels, le: this.#buckets[i] ?? 0 } });
      }
      values.push(
        { metricName: bucket, value: s.count, labels: { ...s.labels, le: '+Inf' } },
        { metricName: `${this.name}_sum`, value: s.sum, labels: { ...s.labels } },
        { metricName: `${this.name}_count`, value: s.count, labels: { ...s.labels } },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    for (const s of this.#series) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
