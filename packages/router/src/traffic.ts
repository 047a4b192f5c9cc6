// `spec.traffic` of a Route or Service: the type, Knative's defaulting and Knative's admission validation with
// its exact messages. Mirrors knative/serving pkg/apis/serving/v1/route_defaults.go and route_validation.go (and
// service_validation.go, which validates a Service's traffic "with a default configuration name").

import { type FieldIssue, mergeFieldIssues } from './field-error.js';
import { TrafficValidationError } from './errors.js';
import { dns1035LabelErrors, goQuote, qualifiedNameErrors } from './k8s-names.js';

/** One `spec.traffic` entry as a user writes it (Knative `TrafficTarget`; `url` is status-only and refused here). */
export interface TrafficTarget {
  readonly tag?: string;
  readonly revisionName?: string;
  readonly configurationName?: string;
  /** `@latest`: follow the configuration's latest ready revision. Defaults to `revisionName` being empty. */
  readonly latestRevision?: boolean;
  /** Integer 0..100; defaults to 0. */
  readonly percent?: number;
  readonly url?: string;
}

/** A target after Knative's defaulting: every field the resolver reads is present. */
export interface DefaultedTrafficTarget {
  readonly tag: string;
  readonly revisionName: string;
  readonly configurationName: string;
  readonly latestRevision: boolean;
  readonly percent: number;
}

export interface TrafficContext {
  /**
   * Set when the traffic belongs to a Service (Knative `WithDefaultConfigurationName`): `configurationName` is then
   * refused, a target may name neither revision nor configuration, and `latestRevision` targets follow the
   * Service's own configuration, which Knative names after the Service.
   */
  readonly serviceName?: string;
}

const FIELD = 'spec.traffic';

/**
 * Knative's defaulting (`RouteSpec.SetDefaults`, `TrafficTarget.SetDefaults`, plus `MakeRoute` filling in the
 * Service's configuration): a Service with no traffic sends 100 % to its latest ready revision; `latestRevision`
 * defaults to "no revisionName"; `percent` to 0.
 */
export function defaultTraffic(traffic: readonly TrafficTarget[], ctx: TrafficContext = {}): DefaultedTrafficTarget[] {
  const service = ctx.serviceName;
  const list: readonly TrafficTarget[] =
    traffic.length === 0 && service !== undefined ? [{ percent: 100, latestRevision: true }] : traffic;
  return list.map((t) => {
    const revisionName = t.revisionName ?? '';
    let configurationName = t.configurationName ?? '';
    if (service !== undefined && revisionName === '') configurationName = service;
    return {
      tag: t.tag ?? '',
      revisionName,
      configurationName,
      latestRevision: t.latestRevision ?? revisionName === '',
      percent: t.percent ?? 0,
    };
  });
}

/**
 * Knative's admission check of `spec.traffic` (`validateTrafficList` and `TrafficTarget.Validate` in spec
 * context), on what the user wrote. Returns the problems merged and ordered as Knative prints them; empty means
 * valid. Knative defaults before it validates, but its defaults (percent 0, `latestRevision` agreeing with
 * `revisionName`) never change the answer; the one that does, an empty Service traffic, is handled here.
 */
export function validateTraffic(traffic: readonly TrafficTarget[], ctx: TrafficContext = {}): FieldIssue[] {
  const withinService = ctx.serviceName !== undefined;
  // Knative defaults before it validates: a Service without traffic gets 100 % to its latest ready revision.
  if (withinService && traffic.length === 0) return [];
  const issues: FieldIssue[] = [];
  const firstIndexOfTag = new Map<string, number>();
  let sum = 0;

  traffic.forEach((t, i) => {
    const at = (field: string): string => `${FIELD}[${i}].${field}`;
    const revisionName = t.revisionName ?? '';
    const configurationName = t.configurationName ?? '';

    // validateLatestRevision: pinning and floating must agree.
    if (t.latestRevision !== undefined && (revisionName !== '') === t.latestRevision) {
      issues.push({
        message: `may not set revisionName ${goQuote(revisionName)} when latestRevision is ${String(t.latestRevision)}`,
        paths: [at('latestRevision')],
      });
    }

    // validateRevisionAndConfiguration: the first matching case only, as Knative's switch.
    if (withinService && configurationName !== '') {
      issues.push({ message: 'must not set the field(s)', paths: [at('configurationName')] });
    } else if (revisionName !== '' && configurationName !== '') {
      issues.push({ message: 'expected exactly one, got both', paths: [at('revisionName'), at('configurationName')] });
    } else if (revisionName !== '') {
      const errs = qualifiedNameErrors(revisionName);
      if (errs.length > 0) {
        issues.push({ message: `invalid key name ${goQuote(revisionName)}`, paths: [at('revisionName')], details: errs.join(', ') });
      }
    } else if (configurationName !== '') {
      const errs = qualifiedNameErrors(configurationName);
      if (errs.length > 0) {
        issues.push({
          message: `invalid key name ${goQuote(configurationName)}`,
          paths: [at('configurationName')],
          details: errs.join(', '),
        });
      }
    } else if (!withinService) {
      issues.push({ message: 'expected exactly one, got neither', paths: [at('revisionName'), at('configurationName')] });
    }

    // validateTrafficPercentage. Knative's int64 cannot hold a fraction (JSON decoding fails before validation);
    // kdp reports it with Knative's generic invalid-value wording.
    if (t.percent !== undefined) {
      if (!Number.isInteger(t.percent)) {
        issues.push({ message: `invalid value: ${String(t.percent)}`, paths: [at('percent')] });
      } else if (t.percent < 0 || t.percent > 100) {
        issues.push({ message: `expected 0 <= ${String(t.percent)} <= 100`, paths: [at('percent')] });
      }
      if (Number.isFinite(t.percent)) sum += t.percent;
    }

    // validateURL: status only. Knative reports the same problem twice for an untagged target; merged below.
    if (t.url !== undefined && t.url !== '') {
      issues.push({ message: 'must not set the field(s)', paths: [at('url')] });
    }

    const tag = t.tag ?? '';
    if (tag === '') return;
    const labelErrs = dns1035LabelErrors(tag);
    if (labelErrs.length > 0) {
      // Knative builds this one with ErrInvalidArrayValue(…, "tag", i), so its path reads `spec.traffic.tag[i]`.
      issues.push({ message: `invalid value: not a DNS 1035 label: [${labelErrs.join(' ')}]`, paths: [`${FIELD}.tag[${i}]`] });
    }
    const first = firstIndexOfTag.get(tag);
    if (first === undefined) {
      firstIndexOfTag.set(tag, i);
    } else {
      issues.push({ message: `Multiple definitions for ${goQuote(tag)}`, paths: [at('tag'), `${FIELD}[${first}].tag`] });
    }
  });

  if (sum !== 100) issues.push({ message: `Traffic targets sum to ${String(sum)}, want 100`, paths: [FIELD] });
  return mergeFieldIssues(issues);
}

/** `validateTraffic`, throwing `TrafficValidationError` (its message is Knative's text) when anything is wrong. */
export function assertValidTraffic(traffic: readonly TrafficTarget[], ctx: TrafficContext = {}): void {
  const issues = validateTraffic(traffic, ctx);
  if (issues.length > 0) throw new TrafficValidationError(issues);
}
