// Building the objects a Service owns, with the names, labels and owner references Knative's reconcilers give them
// (serving pkg/reconciler/service/resources/{configuration,route}.go, configuration/resources/revision.go).

import { setCondition } from './conditions.js';
import {
  API_VERSION,
  LABELS,
  type Configuration,
  type ObjectMeta,
  type OwnerReference,
  type Revision,
  type RevisionTemplateSpec,
  type Route,
  type Service,
} from './types.js';

/** What each constructor needs from the caller: a timestamp, a fresh uid and the next resourceVersion. */
export interface Stamp {
  readonly now: string;
  readonly uid: string;
  readonly resourceVersion: string;
}

/** RFC 3339 in whole seconds, as Kubernetes writes metav1.Time. */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Knative's generated revision name: `<configuration>-<5-digit generation>` (kmeta.ChildName with `-%05d`). */
export function generatedRevisionName(configuration: string, generation: number): string {
  return `${configuration}-${String(generation).padStart(5, '0')}`;
}

function owner(kind: string, meta: ObjectMeta): OwnerReference {
  return { apiVersion: API_VERSION, kind, name: meta.name, uid: meta.uid, controller: true, blockOwnerDeletion: true };
}

export function newService(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  spec: Service['spec'],
  s: Stamp,
): Service {
  return {
    apiVersion: API_VERSION,
    kind: 'Service',
    metadata: withMaps(
      { name, namespace, uid: s.uid, generation: 1, resourceVersion: s.resourceVersion, creationTimestamp: s.now },
      labels,
      annotations,
    ),
    spec,
    status: {},
  };
}

export function newConfiguration(service: Service, s: Stamp): Configuration {
  return { apiVersion: API_VERSION, kind: 'Configuration', metadata: ownedByService(service, s), spec: { template: service.spec.template }, status: {} };
}

export function newRoute(service: Service, s: Stamp): Route {
  return { apiVersion: API_VERSION, kind: 'Route', metadata: ownedByService(service, s), spec: { traffic: service.spec.traffic }, status: {} };
}

/** The metadata of the Configuration and the Route: the Service's name, its labels and an owner reference to it. */
function ownedByService(service: Service, s: Stamp): ObjectMeta {
  const m = service.metadata;
  return {
    name: m.name,
    namespace: m.namespace,
    uid: s.uid,
    generation: 0,
    resourceVersion: s.resourceVersion,
    creationTimestamp: s.now,
    labels: { [LABELS.service]: m.name, [LABELS.serviceUID]: m.uid },
    ownerReferences: [owner('Service', m)],
  };
}

export function newRevision(cfg: Configuration, service: Service, name: string, template: RevisionTemplateSpec, s: Stamp): Revision {
  const c = cfg.metadata;
  const conditions: NonNullable<Revision['status']['conditions']> = [];
  setCondition(conditions, { type: 'Ready', status: 'Unknown', reason: 'Deploying' }, s.now);
  setCondition(conditions, { type: 'ContainerHealthy', status: 'Unknown', reason: 'Deploying' }, s.now);
  setCondition(conditions, { type: 'ResourcesAvailable', status: 'Unknown', reason: 'Deploying' }, s.now);
  return {
    apiVersion: API_VERSION,
    kind: 'Revision',
    metadata: withMaps(
      {
        name,
        namespace: c.namespace,
        uid: s.uid,
        generation: 1,
        resourceVersion: s.resourceVersion,
        creationTimestamp: s.now,
        ownerReferences: [owner('Configuration', c)],
      },
      {
        ...template.metadata.labels,
        [LABELS.service]: service.metadata.name,
        [LABELS.serviceUID]: service.metadata.uid,
        [LABELS.configuration]: c.name,
        [LABELS.configurationUID]: c.uid,
        [LABELS.configurationGeneration]: String(c.generation),
      },
      template.metadata.annotations ?? {},
    ),
    spec: structuredClone(template.spec),
    status: { observedGeneration: 1, conditions },
  };
}

function withMaps(meta: ObjectMeta, labels: Record<string, string>, annotations: Record<string, string>): ObjectMeta {
  if (Object.keys(labels).length > 0) meta.labels = { ...labels };
  if (Object.keys(annotations).length > 0) meta.annotations = { ...annotations };
  return meta;
}

/** Structural equality of JSON data (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

/** A `-old +new` listing of the leaves that differ, for Knative's "changes without a name change" error. */
export function jsonDiff(a: unknown, b: unknown): string {
  const left = flatten(a, '');
  const right = flatten(b, '');
  const lines: string[] = [];
  for (const [path, v] of left) if (right.get(path) !== v) lines.push(`-${path}: ${v}`);
  for (const [path, v] of right) if (left.get(path) !== v) lines.push(`+${path}: ${v}`);
  return lines.join('\n');
}

function flatten(v: unknown, at: string, out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(v)) v.forEach((x, i) => flatten(x, `${at}[${i}]`, out));
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) flatten(x, at === '' ? k : `${at}.${k}`, out);
  } else if (v !== undefined) out.set(at, JSON.stringify(v));
  return out;
}
