// The eventing data plane of one `kdp serve`: the store, the engine, the broker ingress (an HTTP server on
// loopback that the router forwards the ingress host to) and the PingSource timers. The object layer (CLI) turns
// Brokers, Triggers and PingSources into `EventingModel`s and calls `configure` on every change.

import type { Logger } from '@kdp/core';
import type { CloudEvent } from './cloudevent.js';
import type { BrokerEngine, TriggerConfig } from './broker-engine.js';
import { EventingEngine } from './engine.js';
import { NatsEngine } from './nats-engine.js';
import { startIngress, type Ingress } from './ingress.js';
import { startPing, type PingConfig } from './ping.js';
import { Sender, type Target } from './sender.js';
import { SqliteEventStore, type SyncMode } from './sqlite-store.js';

export interface EventingOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  /** SQLite `synchronous`: full (default, survives power loss) or normal (survives a process crash). */
  readonly sync?: SyncMode;
  readonly maxPendingBytes?: number;
  /** `nats://HOST:PORT`: keep brokers on NATS JetStream instead of the embedded store. */
  readonly natsUrl?: string | undefined;
}

export interface PingModel extends PingConfig {
  /** `namespace/name`, the key of the PingSource. */
  readonly key: string;
  /** Where ticks go: a local broker (stored like any accepted event) or an HTTP sink (one attempt). */
  readonly sink: { readonly broker: string } | { readonly target: Target };
}

export interface EventingModel {
  readonly brokers: readonly string[];
  readonly triggers: readonly TriggerConfig[];
  readonly pings: readonly PingModel[];
}

export interface Eventing {
  readonly engine: BrokerEngine;
  readonly ingress: Ingress;
  /** Where the store is, and its durability. */
  readonly storeDescription: string;
  /** Deliveries pending in the store at start. */
  readonly resumed: number;
  configure(m: EventingModel): void;
  close(graceMs: number): Promise<void>;
}

/** Ping sources are restarted only when their spec changed (a restart would skip or repeat nothing, but churns). */
interface RunningPing {
  readonly json: string;
  readonly stop: () => void;
}

export async function startEventing(o: EventingOptions): Promise<Eventing> {
  const sender = new Sender();
  let engine: BrokerEngine;
  let resumed = 0;
  let storeDescription: string;
  if (o.natsUrl !== undefined) {
    const nats = await NatsEngine.connect(o.natsUrl, sender, o.logger);
    engine = nats;
    storeDescription = nats.description;
  } else {
    const store = new SqliteEventStore(o.dataDir, o.sync ?? 'full');
    const embedded = new EventingEngine({ store, sender, logger: o.logger, ...(o.maxPendingBytes !== undefined && { maxPendingBytes: o.maxPendingBytes }) });
    resumed = embedded.start();
    engine = embedded;
    storeDescription = store.description;
  }
  const ingress = await startIngress(engine, '127.0.0.1', 0);
  const pings = new Map<string, RunningPing>();

  const emitter = (p: PingModel) => (e: CloudEvent): void => {
    if ('broker' in p.sink) {
      engine.accept(p.sink.broker, e, (err) => {
        if (err !== undefined) o.logger.warn({ pingsource: p.key, reason: err.message }, 'ping event not accepted');
      });
    } else {
      const headers = Object.entries(e.attrs).flatMap(([k, v]) => (k === 'datacontenttype' ? ['content-type', v] : [`ce-${k}`, v]));
      sender.send(p.sink.target, headers, e.data, 30_000, (r) => {
        if (r.status < 200 || r.status >= 300) o.logger.warn({ pingsource: p.key, status: r.status, error: r.error }, 'ping event not delivered');
      });
    }
  };

  const configure = (m: EventingModel): void => {
    engine.configure(m.brokers, m.triggers);
    const keep = new Set<string>();
    for (const p of m.pings) {
      keep.add(p.key);
      const json = JSON.stringify({ ...p, data: p.data?.toString('base64') });
      const running = pings.get(p.key);
      if (running?.json === json) continue;
      running?.stop();
      const job = startPing(p, emitter(p));
      pings.set(p.key, { json, stop: () => job.stop() });
    }
    for (const [k, r] of pings) {
      if (keep.has(k)) continue;
      r.stop();
      pings.delete(k);
    }
  };

  return {
    engine,
    ingress,
    storeDescription,
    resumed,
    configure,
    async close(graceMs) {
      for (const r of pings.values()) r.stop();
      pings.clear();
      await ingress.close();
      await engine.close(graceMs);
    },
  };
}
