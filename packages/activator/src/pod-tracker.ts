/**
 * One ready pod as the throttler sees it (Knative `pkg/activator/net/throttler.go` `podTracker`): its queue-proxy
 * address and the number of requests this activator has in flight to it. For cc > 0 the in-flight count is the
 * pod's slot usage (Knative keeps a per-pod breaker of `cc` slots; a counter is the same thing without the queue
 * that breaker never used); for cc = 0 it is the weight the power-of-two-choices policy compares.
 */
import type { Upstream } from '@kdp/core';

export class PodTracker {
  /** Requests of this activator currently proxied to the pod. */
  inFlight = 0;
  /** False once the pod left load balancing (stopping or stopped); requests still on it finish normally. */
  attached = true;
  /** `host:port` of the pod's queue-proxy: the sort key (Knative sorts trackers by this string) and the Host sent. */
  readonly dest: string;

  constructor(
    readonly podId: string,
    readonly upstream: Upstream,
  ) {
    this.dest = upstream.authority;
  }
}
