// Knative Eventing objects as the control API stores and serves them: `eventing.knative.dev/v1` Broker and Trigger
// (knative/eventing pkg/apis/eventing/v1 broker_types.go, trigger_types.go) and `sources.knative.dev/v1` PingSource
// (pkg/apis/sources/v1/ping_types.go), reduced to the fields a local broker uses. Plain JSON.

import type { DeliverySpec, SubscriptionsApiFilter } from '@kdp/eventing';
import type { Condition, ObjectMeta } from './types.js';

export const EVENTING_GROUP = 'eventing.knative.dev';
export const SOURCES_GROUP = 'sources.knative.dev';
export const EVENTING_API_VERSION = `${EVENTING_GROUP}/v1`;
export const SOURCES_API_VERSION = `${SOURCES_GROUP}/v1`;
export const EVENTING_PREFIX = `/apis/${EVENTING_API_VERSION}`;
export const SOURCES_PREFIX = `/apis/${SOURCES_API_VERSION}`;
/** kdp's own additions (dead letters), beside Knative's paths. */
export const KDP_EVENTING_PREFIX = '/apis/eventing.kdp.dev/v1';

/** Trigger annotation: deliveries in flight at most towards the subscriber (a kdp addition). */
export const MAX_IN_FLIGHT_ANNOTATION = 'eventing.kdp.dev/max-in-flight';
/** Broker class annotation, as Knative's; kdp has one class. */
export const BROKER_CLASS_ANNOTATION = 'eventing.knative.dev/broker.class';
export const BROKER_CLASS = 'kdp';

/** duckv1.Destination: a reference to an addressable object, or a URI (or both: the URI is then relative). */
export interface Destination {
  ref?: { apiVersion?: string; kind: string; name: string; namespace?: string };
  uri?: string;
}

export interface Broker {
  apiVersion: typeof EVENTING_API_VERSION;
  kind: 'Broker';
  metadata: ObjectMeta;
  spec: { delivery?: DeliverySpec };
  status: { observedGeneration?: number; conditions?: Condition[]; address?: { url: string }; deadLetterSinkUri?: string };
}

export interface Trigger {
  apiVersion: typeof EVENTING_API_VERSION;
  kind: 'Trigger';
  metadata: ObjectMeta;
  spec: {
    broker: string;
    filter?: { attributes?: Record<string, string> };
    filters?: SubscriptionsApiFilter[];
    subscriber: Destination;
    delivery?: DeliverySpec;
  };
  status: { observedGeneration?: number; conditions?: Condition[]; subscriberUri?: string; deadLetterSinkUri?: string };
}

export interface PingSource {
  apiVersion: typeof SOURCES_API_VERSION;
  kind: 'PingSource';
  metadata: ObjectMeta;
  spec: {
    schedule?: string;
    timezone?: string;
    contentType?: string;
    data?: string;
    dataBase64?: string;
    sink: Destination;
    ceOverrides?: { extensions?: Record<string, string> };
  };
  status: { observedGeneration?: number; conditions?: Condition[]; sinkUri?: string };
}

export type EventingObject = Broker | Trigger | PingSource;
export type EventingKind = EventingObject['kind'];

export const EVENTING_RESOURCES = {
  Broker: { plural: 'brokers', group: EVENTING_GROUP, apiVersion: EVENTING_API_VERSION },
  Trigger: { plural: 'triggers', group: EVENTING_GROUP, apiVersion: EVENTING_API_VERSION },
  PingSource: { plural: 'pingsources', group: SOURCES_GROUP, apiVersion: SOURCES_API_VERSION },
} as const satisfies Record<EventingKind, { plural: string; group: string; apiVersion: string }>;

export interface EventingList<T extends EventingObject> {
  apiVersion: T['apiVersion'];
  kind: `${T['kind']}List`;
  metadata: Record<string, never>;
  items: T[];
}

/** A dead letter as the control API lists it (a kdp addition). */
export interface DeadLetterView {
  seq: number;
  trigger: string;
  attempts: number;
  code: number;
  error: string;
  deadAt: string;
  event: Record<string, unknown>;
}
