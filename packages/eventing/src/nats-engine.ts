// Brokers on NATS JetStream (`kdp serve --eventing-backend nats://HOST:PORT`), so several `kdp serve` processes, on
// several machines, share brokers and split delivery. The official client (@nats-io/transport-node and
// @nats-io/jetstream 3.x, Node >= 18) talks to the server.
//
//   stream KDP_EVENTS  subjects kdp.events.<ns>.<broker>.all          an accepted event (202 once JetStream acked it)
//                               kdp.events.<ns>.<broker>.t.<trigger>  a dead letter redelivered to one Trigger
//                      retention "interest": a message is gone once every Trigger consumer acked it
//   stream KDP_DEAD    subjects kdp.dead.<ns>.<trigger>               kept dead letters (limits retention)
//   consumer kdp_<ns>_<trigger>  durable, pull, filter kdp.events.<ns>.<broker>.>, explicit ack,
//                      max_ack_pending = the Trigger's in-flight limit
//
// Every process consumes from the same durable consumer, so JetStream hands each event to one of them: once per
// Trigger when none fails. A failed attempt is NAKed with Knative's backoff as the redelivery delay; the attempt
// number is JetStream's delivery count, so retries continue on whichever process gets the message next.

import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { KdpLogger } from '@kdp/core';
import { attemptDelivery, type Outcome } from './attempt.js';
import type { CloudEvent } from './cloudevent.js';
import { backoffMs, isRetryable } from './delivery.js';
import { ARRIVAL_ATTRIBUTE, DEFAULT_TTL, Refusal, TTL_ATTRIBUTE, type AcceptCallback, type BrokerEngine, emptyEngineStats, type EngineStats, type TriggerConfig } from './broker-engine.js';
import type { Sender } from './sender.js';
import type { DeadLetter } from './store.js';

export const EVENTS_STREAM = 'KDP_EVENTS';
export const DEAD_STREAM = 'KDP_DEAD';
/** Publishes waiting for JetStream's ack before the ingress answers 503. */
const MAX_PENDING_PUBLISHES = 10_000;
/**
 * How long JetStream waits for the ack of a message handed to a kdp serve before it hands it out again. Short, so a
 * kill -9 strands the deliveries in flight (up to the consumer's max_ack_pending, which also stops the flow) for
 * seconds, not for the attempt timeout (5 minutes by default): an attempt that takes longer tells the server it is
 * still working on it every PROGRESS_EVERY_MS (one shared interval, `+WPI` acks).
 */
const ACK_WAIT_MS = 10_000;
const PROGRESS_EVERY_MS = 3_000;
/** Dead letters read for one listing. */
const MAX_DEAD_LISTED = 10_000;

interface Wire {
  a: Record<string, string>;
  d: string | null;
}

interface DeadWire {
  broker: string;
  trigger: string;
  event: Wire;
  attempts: number;
  code: number;
  error: string;
  deadMs: number;
}

interface Subscription {
  cfg: TriggerConfig;
  messages: ConsumerMessages | undefined;
  stopped: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function toWire(e: CloudEvent): Uint8Array {
  return enc.encode(JSON.stringify({ a: e.attrs, d: e.data === undefined ? null : e.data.toString('base64') } satisfies Wire));
}

function fromWire(w: Wire): CloudEvent {
  return { attrs: w.a, data: w.d === null ? undefined : Buffer.from(w.d, 'base64') };
}

const subjectOf = (broker: string): string => `kdp.events.${broker.replace('/', '.')}`;
const consumerName = (trigger: string): string => `kdp_${trigger.replace('/', '_')}`;

export class NatsEngine implements BrokerEngine {
  readonly stats: EngineStats = emptyEngineStats();
  readonly description: string;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #sender: Sender;
  readonly #log: KdpLogger;
  readonly #brokers = new Set<string>();
  readonly #subs = new Map<string, Subscription>();
  #pendingPublishes = 0;
  #inFlight = 0;
  /** Messages whose delivery attempt is under way: told "in progress" every PROGRESS_EVERY_MS. */
  readonly #working = new Set<JsMsg>();
  readonly #progress: NodeJS.Timeout;
  #closed = false;
  #configuring: Promise<void> = Promise.resolve();

  private constructor(nc: NatsConnection, jsm: JetStreamManager, sender: Sender, log: KdpLogger, url: string) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jetstream(nc);
    this.#sender = sender;
    this.#log = log;
    this.description = `NATS JetStream at ${url} (streams ${EVENTS_STREAM}, ${DEAD_STREAM}; file storage)`;
    this.#progress = setInterval(() => {
      for (const m of this.#working) m.working();
    }, PROGRESS_EVERY_MS);
    this.#progress.unref();
  }

  static async connect(url: string, sender: Sender, log: KdpLogger): Promise<NatsEngine> {
    const u = new URL(url);
    const nc = await connect({ servers: `${u.hostname}:${u.port === '' ? '4222' : u.port}`, name: 'kdp-serve', maxReconnectAttempts: -1 });
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, { name: EVENTS_STREAM, subjects: ['kdp.events.>'], retention: RetentionPolicy.Interest, storage: StorageType.File });
    await ensureStream(jsm, { name: DEAD_STREAM, subjects: ['kdp.dead.>'], retention: RetentionPolicy.Limits, storage: StorageType.File });
    return new NatsEngine(nc, jsm, sender, log, url);
  }

  hasBroker(key: string): boolean {
    return this.#brokers.has(key);
  }

  configure(brokers: readonly string[], triggers: readonly TriggerConfig[]): void {
    this.#brokers.clear();
    for (const b of brokers) this.#brokers.add(b);
    const want = new Map(triggers.filter((t) => t.ready).map((t) => [t.key, t]));
    // Consumers are created and started in order, one configure after the other.
    this.#configuring = this.#configuring.then(async () => {
      for (const [key, sub] of this.#subs) {
        if (want.has(key)) continue;
        sub.stopped = true;
        await sub.messages?.close();
        this.#subs.delete(key);
      }
      for (const t of want.values()) {
        const sub = this.#subs.get(t.key);
        if (sub !== undefined) {
          sub.cfg = t;
          continue;
        }
        try {
          await this.#subscribe(t);
        } catch (err) {
          this.#log.error({ err, trigger: t.key }, 'cannot create the JetStream consumer of a trigger');
        }
      }
    });
  }

  /** Resolves once the consumers of the last `configure` exist (tests, startup). */
  settled(): Promise<void> {
    return this.#configuring;
  }

  async #subscribe(t: TriggerConfig): Promise<void> {
    const name = consumerName(t.key);
    const limit = t.inFlightLimit();
    const config = {
      durable_name: name,
      filter_subject: `${subjectOf(t.broker)}.>`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      ack_wait: ACK_WAIT_MS * 1_000_000,
      max_deliver: -1,
      max_ack_pending: limit > 0 ? limit : 1000,
    };
    try {
      await this.#jsm.consumers.info(EVENTS_STREAM, name);
      await this.#jsm.consumers.update(EVENTS_STREAM, name, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
    } catch {
      await this.#jsm.consumers.add(EVENTS_STREAM, config);
    }
    const consumer = await this.#js.consumers.get(EVENTS_STREAM, name);
    const sub: Subscription = { cfg: t, messages: undefined, stopped: false };
    this.#subs.set(t.key, sub);
    sub.messages = await consumer.consume({ max_messages: Math.min(config.max_ack_pending, 256), callback: (m) => this.#handle(sub, m) });
  }

  accept(broker: string, event: CloudEvent, cb: AcceptCallback): void {
    if (this.#closed) return cb(new Refusal('shutting-down', 'the broker is shutting down'));
    if (!this.#brokers.has(broker)) return cb(new Refusal('unknown-broker', `broker ${JSON.stringify(broker)} not found`));
    const raw = event.attrs[TTL_ATTRIBUTE];
    const ttl = raw === undefined ? DEFAULT_TTL : Number(raw);
    if (!Number.isInteger(ttl)) return cb(new Refusal('ttl-exhausted', `${TTL_ATTRIBUTE}: not an integer: ${JSON.stringify(raw)}`));
    if (ttl <= 0) return cb(new Refusal('ttl-exhausted', `${TTL_ATTRIBUTE}: TTL exhausted (${String(ttl)})`));
    if (this.#pendingPublishes >= MAX_PENDING_PUBLISHES) return cb(new Refusal('overloaded', `${String(this.#pendingPublishes)} events wait for JetStream to acknowledge them`));
    event.attrs[TTL_ATTRIBUTE] = String(ttl);
    event.attrs[ARRIVAL_ATTRIBUTE] = new Date().toISOString();
    this.#publish(`${subjectOf(broker)}.all`, event, cb);
  }

  #publish(subject: string, event: CloudEvent, cb: AcceptCallback): void {
    this.#pendingPublishes++;
    this.#js.publish(subject, toWire(event), { msgID: randomUUID() }).then(
      () => {
        this.#pendingPublishes--;
        this.stats.accepted++;
        cb(undefined);
      },
      (err: unknown) => {
        this.#pendingPublishes--;
        cb(new Refusal('store-failed', `JetStream did not store the event: ${(err as Error).message}`));
      },
    );
  }

  #handle(sub: Subscription, m: JsMsg): void {
    if (sub.stopped || this.#closed) return;
    const cfg = sub.cfg;
    // A redelivery addressed to another Trigger of the same Broker.
    const t = m.subject.lastIndexOf('.t.');
    if (t >= 0 && m.subject.slice(t + 3) !== cfg.key.slice(cfg.key.indexOf('/') + 1)) {
      m.ack();
      return;
    }
    let event: CloudEvent;
    try {
      event = fromWire(JSON.parse(dec.decode(m.data)) as Wire);
    } catch (err) {
      this.#log.error({ err, subject: m.subject }, 'undecodable message in the events stream; dropped');
      m.ack();
      return;
    }
    if (!cfg.predicate(event)) {
      m.ack();
      return;
    }
    const attempts = m.info.deliveryCount;
    this.#inFlight++;
    this.#working.add(m);
    attemptDelivery(this.#sender, cfg.subscriber, event, cfg.namespace, cfg.policy.timeoutMs, undefined, (o) => {
      this.#inFlight--;
      this.#working.delete(m);
      this.#outcome(sub, m, event, attempts, o);
    });
  }

  #outcome(sub: Subscription, m: JsMsg, event: CloudEvent, attempts: number, o: Outcome): void {
    const cfg = sub.cfg;
    switch (o.kind) {
      case 'success':
        this.stats.delivered++;
        m.ack();
        return;
      case 'reply': {
        this.stats.delivered++;
        this.stats.replies++;
        const ttl = Number(event.attrs[TTL_ATTRIBUTE] ?? DEFAULT_TTL) - 1;
        if (ttl <= 0) {
          this.stats.repliesDroppedTtl++;
          m.ack();
          return;
        }
        o.event.attrs[TTL_ATTRIBUTE] = String(ttl);
        this.accept(cfg.broker, o.event, (err) => {
          if (err === undefined || err.kind === 'ttl-exhausted' || err.kind === 'unknown-broker') m.ack();
          else m.nak(1000);
        });
        return;
      }
      case 'failure':
        if (isRetryable(o.status) && attempts <= cfg.policy.retry) {
          this.stats.retried++;
          m.nak(Math.max(1, backoffMs(cfg.policy, attempts, o.retryAfterMs)));
          return;
        }
        if (cfg.deadLetterSink !== undefined) {
          const info = { dest: cfg.subscriber.url, code: o.status === 0 ? 500 : o.status, data: o.error };
          this.#working.add(m);
          attemptDelivery(this.#sender, cfg.deadLetterSink, event, cfg.namespace, cfg.policy.timeoutMs, info, (d) => {
            this.#working.delete(m);
            if (d.kind !== 'failure') {
              this.stats.sentToDeadLetterSink++;
              m.ack();
            } else {
              this.#dead(cfg, m, event, attempts, d.status, d.error);
            }
          });
          return;
        }
        this.#dead(cfg, m, event, attempts, o.status, o.error);
        return;
    }
  }

  #dead(cfg: TriggerConfig, m: JsMsg, event: CloudEvent, attempts: number, status: number, error: string): void {
    this.stats.deadLettered++;
    const dw: DeadWire = { broker: cfg.broker, trigger: cfg.key, event: JSON.parse(dec.decode(toWire(event))) as Wire, attempts, code: status === 0 ? 500 : status, error, deadMs: Date.now() };
    this.#js.publish(`kdp.dead.${cfg.key.replace('/', '.')}`, enc.encode(JSON.stringify(dw))).then(
      () => m.ack(),
      (err: unknown) => {
        this.#log.error({ err, trigger: cfg.key }, 'cannot keep a dead letter; it will be delivered again');
        m.nak(1000);
      },
    );
  }

  async deadLetters(trigger: string | undefined): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    const info = await this.#jsm.streams.info(DEAD_STREAM);
    const { first_seq: firstSeq, last_seq: lastSeq, messages } = info.state;
    if (messages === 0) return out;
    for (let seq = firstSeq; seq <= lastSeq && out.length < MAX_DEAD_LISTED; seq++) {
      const sm = await this.#jsm.streams.getMessage(DEAD_STREAM, { seq }).catch(() => null);
      if (sm === null) continue;
      const dw = JSON.parse(dec.decode(sm.data)) as DeadWire;
      if (trigger !== undefined && dw.trigger !== trigger) continue;
      out.push({ seq, trigger: dw.trigger, attempts: dw.attempts, code: dw.code, error: dw.error, deadMs: dw.deadMs, event: { seq, broker: dw.broker, event: fromWire(dw.event), acceptedMs: dw.deadMs } });
    }
    return out;
  }

  async redeliver(trigger: string | undefined, seqs?: ReadonlySet<number>): Promise<number> {
    let n = 0;
    for (const dl of await this.deadLetters(trigger)) {
      if (seqs !== undefined && !seqs.has(dl.seq)) continue;
      const name = dl.trigger.slice(dl.trigger.indexOf('/') + 1);
      await this.#js.publish(`${subjectOf(dl.event.broker)}.t.${name}`, toWire(dl.event.event), { msgID: randomUUID() });
      await this.#jsm.streams.deleteMessage(DEAD_STREAM, dl.seq);
      n++;
    }
    return n;
  }

  async close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#progress);
    for (const s of this.#subs.values()) {
      s.stopped = true;
      await s.messages?.close();
    }
    const deadline = Date.now() + graceMs;
    while (this.#inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.#nc.drain();
    this.#sender.close();
  }
}

async function ensureStream(jsm: JetStreamManager, cfg: { name: string; subjects: string[]; retention: RetentionPolicy; storage: StorageType }): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
  } catch {
    try {
      await jsm.streams.add(cfg);
    } catch (err) {
      // Another kdp serve created it in between.
      await jsm.streams.info(cfg.name).catch(() => {
        throw err;
      });
    }
  }
}
