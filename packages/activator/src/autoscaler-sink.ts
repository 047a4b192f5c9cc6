/**
 * Stats to Knative's autoscaler over its websocket (serving: pkg/activator/stat_reporter.go `ReportStats`,
 * handler/concurrency_reporter.go): each 1 s flush of the ConcurrencyReporter becomes one binary `WireStatMessages`
 * message; a poke is sent at once as its own one-message batch, `{pod_name, average_concurrent_requests: 1,
 * request_count: 1}`. Timestamps are left 0: the autoscaler stamps arrival time (cmd/autoscaler/main.go).
 */
import { encodeWireStatMessages } from '@kdp/core';
import type { StatMessage } from '@kdp/core';
import type { ActivatorStat, AutoscalerSink } from './reporter.js';

/** Where the encoded batches go (the durable websocket). */
export interface BinarySender {
  send(bytes: Uint8Array): boolean;
}

export function createWebsocketSink(sender: BinarySender, podName: string): AutoscalerSink {
  let batch: StatMessage[] = [];
  let scheduled = false;
  // The reporter calls `report` once per revision inside one synchronous flush; the batch goes out right after it.
  const sendBatch = (): void => {
    scheduled = false;
    const out = batch;
    batch = [];
    if (out.length > 0) sender.send(encodeWireStatMessages(out));
  };
  return {
    report(revKey: string, stat: ActivatorStat): void {
      const slash = revKey.indexOf('/');
      batch.push({
        namespace: revKey.slice(0, slash),
        name: revKey.slice(slash + 1),
        stat: { podName, averageConcurrentRequests: stat.concurrency, requestCount: stat.requestCount },
      });
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(sendBatch);
      }
    },
    poke(revKey: string): void {
      const slash = revKey.indexOf('/');
      sender.send(
        encodeWireStatMessages([
          { namespace: revKey.slice(0, slash), name: revKey.slice(slash + 1), stat: { podName, averageConcurrentRequests: 1, requestCount: 1 } },
        ]),
      );
    },
  };
}
