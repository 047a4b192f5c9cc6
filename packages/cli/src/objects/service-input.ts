// A Service as a client sends it (POST/PUT body, `kdp apply -f`), decoded, defaulted and validated the way
// Knative's webhook admits it (serving pkg/apis/serving/v1 service_defaults.go, service_validation.go,
// revision_validation.go; autoscaling annotations via annotation_validation.go), plus what a local process needs
// (a `command`, since there is no image to take an entrypoint from). Every problem is reported at once.

import { DEFAULT_AUTOSCALER_CONFIG, validateAnnotations, type AutoscalerConfig } from '@kdp/autoscaler';
import { KdpBaseError } from '@kdp/core';
import { dns1035LabelErrors, goQuote, type FieldIssue, validateTraffic } from '@kdp/router';
import { DEFAULT_CONTAINER_NAME, DEFAULT_TIMEOUT_SECONDS, makeRevision, RuntimeConfigError } from '@kdp/runtime';
import {
  Issues,
  isObject,
  optBool,
  optInt,
  optNumber,
  optObject,
  optObjectArray,
  optString,
  optStringArray,
  optStringMap,
  type JsonObject,
} from './decode.js';
import { toRevisionInput } from './to-revision.js';
import type { Container, RevisionTemplateSpec, ServiceSpec, TrafficTarget } from './types.js';

export interface ServiceInput {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  /** Defaulted: container name, containerConcurrency, timeoutSeconds, traffic, `latestRevision` per target. */
  readonly spec: ServiceSpec;
  /** For optimistic concurrency on PUT; empty when the client sent none. */
  readonly resourceVersion: string;
}

/** A request the webhook would deny. `issues` print as Knative's FieldError does. */
export class InvalidObjectError extends KdpBaseError {
  readonly code = 'KDP_ERR_INVALID';
  readonly status = 400;
  constructor(readonly issues: readonly FieldIssue[]) {
    super('validation failed');
    this.name = 'InvalidObjectError';
  }
}

const INT32_MAX = 2_147_483_647;
/** Knative names revisions `<configuration>-00001`, which must stay a 63-character DNS label. */
export const MAX_SERVICE_NAME = 63 - '-00001'.length;

/** `kdp serve`'s platform setting that allows `initial-scale: 0` (Knative's `allow-zero-initial-scale`). */
const ZERO_INITIAL_SCALE_HINT = ' (kdp serve --allow-zero-initial-scale allows it)';

export function decodeService(body: unknown, namespace: string, autoscaler: AutoscalerConfig = DEFAULT_AUTOSCALER_CONFIG): ServiceInput {
  const issues = new Issues();
  if (!isObject(body)) {
    issues.invalid(body, 'body', 'expected a serving.knative.dev/v1 Service object');
    throw new InvalidObjectError(issues.list);
  }
  const apiVersion = optString(body, 'apiVersion', '', issues);
  if (apiVersion !== undefined && apiVersion !== 'serving.knative.dev/v1') issues.invalid(apiVersion, 'apiVersion', 'expected serving.knative.dev/v1');
  const kind = optString(body, 'kind', '', issues);
  if (kind !== undefined && kind !== 'Service') issues.invalid(kind, 'kind', 'expected Service');

  const meta = optObject(body, 'metadata', '', issues) ?? {};
  const name = optString(meta, 'name', 'metadata.', issues) ?? '';
  if (name === '') issues.missing('metadata.name');
  else checkName(name, issues);
  const ns = optString(meta, 'namespace', 'metadata.', issues);
  if (ns !== undefined && ns !== '' && ns !== namespace) {
    issues.invalid(ns, 'metadata.namespace', `the namespace of the object does not match the namespace of the request (${namespace})`);
  }
  const labels = optStringMap(meta, 'labels', 'metadata.', issues) ?? {};
  const annotations = optStringMap(meta, 'annotations', 'metadata.', issues) ?? {};
  const resourceVersion = optString(meta, 'resourceVersion', 'metadata.', issues) ?? '';

  const specObj = optObject(body, 'spec', '', issues);
  if (specObj === undefined) issues.missing('spec');
  const spec = specObj ?? {};
  const templateObj = optObject(spec, 'template', 'spec.', issues);
  if (specObj !== undefined && templateObj === undefined) issues.missing('spec.template');
  const template = decodeTemplate(templateObj ?? {}, issues);
  const trafficIn = decodeTraffic(spec, issues);

  if (name !== '') {
    checkTemplateName(template.metadata.name, name, issues);
    for (const i of validateTraffic(trafficIn, { serviceName: name })) issues.list.push(i);
  }
  for (const line of validateAnnotations(template.metadata.annotations ?? {}, autoscaler)) {
    // Knative's line names a cluster setting (`…/initial-scale=0 not allowed by cluster`); here it is a flag of kdp serve.
    issues.list.push(prefixedIssue(line.endsWith('not allowed by cluster') ? line + ZERO_INITIAL_SCALE_HINT : line, 'spec.template.metadata.annotations.'));
  }
  if (issues.list.length === 0) dryRunRevision(namespace, name, template, issues);
  if (issues.list.length > 0) throw new InvalidObjectError(issues.list);

  return {
    name,
    labels,
    annotations,
    resourceVersion,
    spec: { template, traffic: defaultServiceTraffic(trafficIn) },
  };
}

function checkName(name: string, issues: Issues): void {
  const errs = dns1035LabelErrors(name);
  if (errs.length > 0) issues.invalid(name, 'metadata.name', errs.join(', '));
  else if (name.length > MAX_SERVICE_NAME) {
    issues.invalid(name, 'metadata.name', `must be no more than ${MAX_SERVICE_NAME} characters (revisions are named <name>-00001)`);
  }
}

/** serving metadata_validation.go ValidateRevisionName (parent name as prefix). */
function checkTemplateName(revisionName: string | undefined, service: string, issues: Issues): void {
  if (revisionName === undefined || revisionName === '') return;
  const errs = dns1035LabelErrors(revisionName);
  if (errs.length > 0) {
    issues.add(`invalid value: not a DNS 1035 label: [${errs.join(' ')}]`, 'spec.template.metadata.name');
    return;
  }
  const prefix = `${service}-`;
  if (!revisionName.startsWith(prefix)) {
    issues.add(`invalid value: ${goQuote(revisionName)} must have prefix ${goQuote(prefix)}`, 'spec.template.metadata.name');
  }
}

function decodeTemplate(t: JsonObject, issues: Issues): RevisionTemplateSpec {
  const metaObj = optObject(t, 'metadata', 'spec.template.', issues) ?? {};
  const metadata: RevisionTemplateSpec['metadata'] = {};
  const revName = optString(metaObj, 'name', 'spec.template.metadata.', issues);
  if (revName !== undefined && revName !== '') metadata.name = revName;
  const labels = optStringMap(metaObj, 'labels', 'spec.template.metadata.', issues);
  if (labels !== undefined && Object.keys(labels).length > 0) metadata.labels = labels;
  const annotations = optStringMap(metaObj, 'annotations', 'spec.template.metadata.', issues);
  if (annotations !== undefined && Object.keys(annotations).length > 0) metadata.annotations = annotations;

  const p = 'spec.template.spec.';
  const s = optObject(t, 'spec', 'spec.template.', issues) ?? {};
  const containers = optObjectArray(s, 'containers', p, issues) ?? [];
  if (containers.length === 0) issues.missing(`${p}containers`);
  if (containers.length > 1) {
    issues.add('kdp runs one process per revision; sidecar containers are not supported', `${p}containers`);
  }
  const first = containers[0];
  const container = first === undefined ? { name: DEFAULT_CONTAINER_NAME } : decodeContainer(first.item, first.path, issues);
  const spec: RevisionTemplateSpec['spec'] = {
    containers: [container],
    containerConcurrency: optInt(s, 'containerConcurrency', p, issues, 0, INT32_MAX) ?? 0,
    // Knative defaults an absent or zero timeout (revision_defaults.go); makeRevision checks the maximum.
    timeoutSeconds: optInt(s, 'timeoutSeconds', p, issues, 0, INT32_MAX) || DEFAULT_TIMEOUT_SECONDS,
  };
  const rst = optInt(s, 'responseStartTimeoutSeconds', p, issues, 0, INT32_MAX);
  if (rst !== undefined) spec.responseStartTimeoutSeconds = rst;
  const idle = optInt(s, 'idleTimeoutSeconds', p, issues, 0, INT32_MAX);
  if (idle !== undefined) spec.idleTimeoutSeconds = idle;
  return { metadata, spec };
}

function decodeContainer(c: JsonObject, p: string, issues: Issues): Container {
  const out: Container = { name: optString(c, 'name', p, issues) || DEFAULT_CONTAINER_NAME };
  const image = optString(c, 'image', p, issues);
  if (image !== undefined && image !== '') out.image = image;
  const command = optStringArray(c, 'command', p, issues);
  if (command === undefined || command.length === 0) {
    issues.missing(`${p}command`, 'kdp runs a local process, not an image: give the program and its arguments in command/args');
  } else {
    out.command = command;
  }
  const args = optStringArray(c, 'args', p, issues);
  if (args !== undefined && args.length > 0) out.args = args;
  const env = optObjectArray(c, 'env', p, issues);
  if (env !== undefined && env.length > 0) {
    out.env = [];
    for (const { item, path } of env) {
      if (item['valueFrom'] !== undefined) issues.add('must not set the field(s)', `${path}valueFrom`, 'kdp has no Secrets or ConfigMaps; use value');
      const n = optString(item, 'name', path, issues);
      if (n === undefined || n === '') issues.missing(`${path}name`);
      out.env.push({ name: n ?? '', value: optString(item, 'value', path, issues) ?? '' });
    }
  }
  const ports = optObjectArray(c, 'ports', p, issues);
  if (ports !== undefined && ports.length > 0) {
    out.ports = [];
    for (const { item, path } of ports) {
      const containerPort = optNumber(item, 'containerPort', path, issues);
      if (containerPort === undefined) issues.missing(`${path}containerPort`);
      const portName = optString(item, 'name', path, issues);
      out.ports.push(portName === undefined || portName === '' ? { containerPort: containerPort ?? 0 } : { containerPort: containerPort ?? 0, name: portName });
    }
  }
  const probe = optObject(c, 'readinessProbe', p, issues);
  // The probe's fields are checked by makeRevision (dry run below) and the queue-proxy's probe decoder.
  if (probe !== undefined) out.readinessProbe = probe;
  const workingDir = optString(c, 'workingDir', p, issues);
  if (workingDir !== undefined && workingDir !== '') out.workingDir = workingDir;
  return out;
}

function decodeTraffic(spec: JsonObject, issues: Issues): TrafficTarget[] {
  const list = optObjectArray(spec, 'traffic', 'spec.', issues) ?? [];
  return list.map(({ item, path }) => {
    const t: TrafficTarget = {};
    const tag = optString(item, 'tag', path, issues);
    if (tag !== undefined && tag !== '') t.tag = tag;
    const rev = optString(item, 'revisionName', path, issues);
    if (rev !== undefined && rev !== '') t.revisionName = rev;
    const cfg = optString(item, 'configurationName', path, issues);
    if (cfg !== undefined && cfg !== '') t.configurationName = cfg;
    const latest = optBool(item, 'latestRevision', path, issues);
    if (latest !== undefined) t.latestRevision = latest;
    const percent = optNumber(item, 'percent', path, issues);
    if (percent !== undefined) t.percent = percent;
    const url = optString(item, 'url', path, issues);
    if (url !== undefined && url !== '') t.url = url;
    return t;
  });
}

/** route_defaults.go: empty traffic → 100 % to the latest ready revision; `latestRevision` spelled out per target. */
function defaultServiceTraffic(traffic: readonly TrafficTarget[]): TrafficTarget[] {
  if (traffic.length === 0) return [{ latestRevision: true, percent: 100 }];
  return traffic.map((t) => ({ ...t, latestRevision: t.latestRevision ?? (t.revisionName ?? '') === '' }));
}

/** The runtime's own checks (env names, ports, probe, timeouts), reported at the Service's field paths. */
function dryRunRevision(namespace: string, service: string, template: RevisionTemplateSpec, issues: Issues): void {
  try {
    makeRevision(toRevisionInput(namespace, service, template.metadata.name ?? `${service}-00001`, template));
  } catch (err) {
    if (!(err instanceof RuntimeConfigError)) throw err;
    for (const line of err.lines) {
      const colon = line.indexOf(': ');
      const field = colon < 0 ? '' : line.slice(0, colon);
      const reason = colon < 0 ? line : line.slice(colon + 2);
      issues.add(reason, revisionFieldPath(field));
    }
  }
}

function revisionFieldPath(field: string): string {
  if (field.startsWith('container.')) return `spec.template.spec.containers[0].${field.slice('container.'.length)}`;
  if (field === 'name') return 'spec.template.metadata.name';
  if (field === 'namespace') return 'metadata.namespace';
  if (field.startsWith('annotations')) return 'spec.template.metadata.annotations';
  return `spec.template.spec.${field}`;
}

/** A pre-formatted `message: path, path` line (the autoscaler's validation) with its paths put under `prefix`. */
function prefixedIssue(line: string, prefix: string): FieldIssue {
  const at = line.lastIndexOf(': ');
  if (at < 0) return { message: line, paths: [prefix.slice(0, -1)] };
  return {
    message: line.slice(0, at),
    paths: line
      .slice(at + 2)
      .split(', ')
      .map((p) => `${prefix}${p}`),
  };
}
