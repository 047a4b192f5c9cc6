/**
 * The pods the platform knows between the runtime's `podStarted` and `podStopping`: their queue-proxy and Stat
 * ports (for the autoscaler's scraper) and whether the activator found them ready (for `revisionReady`, the scrape
 * targets and status).
 *
 * Readiness is the activator's verdict, but `@kdp/activator` has no pod-ready callback for its host (its
 * `BackendsListener` is internal to `Revisions`). So the platform wraps the probe function it hands the activator:
 * after a successful probe it looks, one macrotask later (after the activator's own continuation has run), whether
 * the activator now lists that pod as `ready`. No polling, and no second opinion: a pod is ready here exactly when it
 * joined load balancing there.
 */
import type { ProbeFn } from '@kdp/activator';
import type { PodTarget } from '@kdp/autoscaler';

export interface PlatformPod {
  readonly revKey: string;
  readonly podId: string;
  readonly host: string;
  readonly queuePort: number;
  readonly metricsPort: number;
  /** `podStarted` time on the platform clock. */
  readonly startedAtMs: number;
  ready: boolean;
}

export interface PodTableOptions {
  /** Whether the activator lists the pod as ready now. */
  readonly isReadyInActivator: (revKey: string, podId: string) => boolean;
  /** A pod became ready (once per pod). */
  readonly onReady: (pod: PlatformPod) => void;
}

export class PodTable {
  readonly #byAddress = new Map<string, PlatformPod>();
  readonly #byRevision = new Map<string, Map<string, PlatformPod>>();
  readonly #o: PodTableOptions;

  constructor(opts: PodTableOptions) {
    this.#o = opts;
  }

  add(pod: PlatformPod): void {
    this.remove(pod.revKey, pod.podId);
    this.#byAddress.set(`${pod.host}:${String(pod.queuePort)}`, pod);
    let pods = this.#byRevision.get(pod.revKey);
    if (pods === undefined) {
      pods = new Map();
      this.#byRevision.set(pod.revKey, pods);
    }
    pods.set(pod.podId, pod);
  }

  /** The pod left load balancing (stopping) or is gone. */
  remove(revKey: string, podId: string): void {
    const pods = this.#byRevision.get(revKey);
    const pod = pods?.get(podId);
    if (pods === undefined || pod === undefined) return;
    pods.delete(podId);
    if (pods.size === 0) this.#byRevision.delete(revKey);
    const address = `${pod.host}:${String(pod.queuePort)}`;
    if (this.#byAddress.get(address) === pod) this.#byAddress.delete(address);
  }

  get(revKey: string, podId: string): PlatformPod | undefined {
    return this.#byRevision.get(revKey)?.get(podId);
  }

  /** Wraps the activator's probe so a success is followed by a readiness check of that pod. */
  wrapProbe(inner: ProbeFn): ProbeFn {
    return async (host, port, signal) => {
      const ok = await inner(host, port, signal);
      if (ok) setImmediate(this.#probedOk, `${host}:${String(port)}`);
      return ok;
    };
  }

  /**
   * Ready pods of a revision, for the autoscaler's scraper (Knative scrapes ready endpoints; pods that are stopping
   * are already gone from this table).
   */
  scrapeTargets(revKey: string): PodTarget[] {
    const out: PodTarget[] = [];
    const pods = this.#byRevision.get(revKey);
    if (pods === undefined) return out;
    for (const p of pods.values()) {
      if (p.ready) out.push({ name: p.podId, host: p.host, metricsPort: p.metricsPort, startedAtMs: p.startedAtMs });
    }
    return out;
  }

  readonly #probedOk = (address: string): void => {
    const pod = this.#byAddress.get(address);
    if (pod === undefined || pod.ready) return;
    if (!this.#o.isReadyInActivator(pod.revKey, pod.podId)) return;
    pod.ready = true;
    this.#o.onReady(pod);
  };
}
