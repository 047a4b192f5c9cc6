// Knative `serving.knative.dev/v1` objects as the control API stores and serves them: Service, Configuration,
// Revision, Route, in the JSON shape of knative/serving pkg/apis/serving/v1 (service_types.go,
// configuration_types.go, revision_types.go, route_types.go), reduced to the fields a local platform uses.
// Plain data (JSON in, JSON out, JSON on disk), so every field is optional where Knative's is `omitempty`.

import type { Probe } from '@kdp/runtime';
import type { LiveRevisionNumbers } from '@kdp/platform';

export const API_VERSION = 'serving.knative.dev/v1';
export const GROUP = 'serving.knative.dev';
/** Root of the control API's Knative paths. */
export const API_PREFIX = `/apis/${API_VERSION}`;

/** Labels Knative puts on what it creates (serving pkg/apis/serving/register.go). */
export const LABELS = {
  service: 'serving.knative.dev/service',
  serviceUID: 'serving.knative.dev/serviceUID',
  configuration: 'serving.knative.dev/configuration',
  configurationUID: 'serving.knative.dev/configurationUID',
  configurationGeneration: 'serving.knative.dev/configurationGeneration',
  route: 'serving.knative.dev/route',
} as const;

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** knative/pkg apis.Condition. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  severity?: 'Error' | 'Warning' | 'Info';
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  generation: number;
  /** Opaque to clients; a PUT carrying a stale one is refused (optimistic concurrency). */
  resourceVersion: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface EnvVar {
  name: string;
  value: string;
}

export interface ContainerPort {
  containerPort: number;
  name?: string;
}

/** corev1.Container, the fields a local process has. `image` is kept (so YAML written for a cluster round-trips) but never run. */
export interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  readinessProbe?: Probe;
  workingDir?: string;
}

export interface RevisionSpec {
  containers: Container[];
  containerConcurrency?: number;
  timeoutSeconds?: number;
  responseStartTimeoutSeconds?: number;
  idleTimeoutSeconds?: number;
}

export interface TemplateMeta {
  /** Bring-your-own revision name; must start with `<service>-`. */
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RevisionTemplateSpec {
  metadata: TemplateMeta;
  spec: RevisionSpec;
}

/** route_types.go TrafficTarget. `url` only in status. */
export interface TrafficTarget {
  tag?: string;
  revisionName?: string;
  configurationName?: string;
  latestRevision?: boolean;
  percent?: number;
  url?: string;
}

export interface Addressable {
  url: string;
}

export interface ServiceSpec {
  template: RevisionTemplateSpec;
  traffic: TrafficTarget[];
}

export interface ServiceStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  latestCreatedRevisionName?: string;
  latestReadyRevisionName?: string;
  url?: string;
  address?: Addressable;
  traffic?: TrafficTarget[];
}

export interface Service {
  apiVersion: typeof API_VERSION;
  kind: 'Service';
  metadata: ObjectMeta;
  spec: ServiceSpec;
  status: ServiceStatus;
}

export interface ConfigurationStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  latestCreatedRevisionName?: string;
  latestReadyRevisionName?: string;
}

export interface Configuration {
  apiVersion: typeof API_VERSION;
  kind: 'Configuration';
  metadata: ObjectMeta;
  spec: { template: RevisionTemplateSpec };
  status: ConfigurationStatus;
}

export interface RevisionStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** Pods running or starting now (read live from the control plane, not stored). */
  actualReplicas?: number;
  /** What the autoscaler wants now (live). */
  desiredReplicas?: number;
  /** kdp addition, live, not stored: traffic over the last minute and the last cold start. */
  live?: LiveRevisionNumbers;
}

export interface Revision {
  apiVersion: typeof API_VERSION;
  kind: 'Revision';
  metadata: ObjectMeta;
  spec: RevisionSpec;
  status: RevisionStatus;
}

export interface RouteStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  url?: string;
  address?: Addressable;
  traffic?: TrafficTarget[];
}

export interface Route {
  apiVersion: typeof API_VERSION;
  kind: 'Route';
  metadata: ObjectMeta;
  spec: { traffic: TrafficTarget[] };
  status: RouteStatus;
}

export type KnativeObject = Service | Configuration | Revision | Route;
export type Kind = KnativeObject['kind'];

/** Plural resource names, as in the API paths and Kubernetes messages (`services.serving.knative.dev "x" not found`). */
export const RESOURCES = {
  Service: 'services',
  Configuration: 'configurations',
  Revision: 'revisions',
  Route: 'routes',
} as const satisfies Record<Kind, string>;

export interface ObjectList<T extends KnativeObject> {
  apiVersion: typeof API_VERSION;
  kind: `${T['kind']}List`;
  metadata: Record<string, never>;
  items: T[];
}

export function objectKey(o: { metadata: Pick<ObjectMeta, 'namespace' | 'name'> }): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}
