// The Configuration, as Knative's configuration reconciler keeps it (serving pkg/reconciler/configuration): every
// change of its template is a new generation and a new, immutable Revision (`<configuration>-<generation, 5 digits>`,
// or the template's own name); its Ready condition follows the latest created revision, and `latestReadyRevisionName`
// moves once that revision is ready.
import { goQuote } from '@kdp/router';
import { alreadyExists } from '../api-errors.js';
import { setCondition, type ConditionInput } from '../objects/conditions.js';
import { generatedRevisionName, jsonDiff, jsonEqual, newRevision } from '../objects/factory.js';
import { InvalidObjectError } from '../objects/service-input.js';
import { LABELS, RESOURCES, type Configuration, type Revision, type RevisionTemplateSpec, type Service } from '../objects/types.js';
import { configurationReady } from '../status.js';
import { key, stamp, type ReconcileEnv } from './env.js';

/** The Revision a template change makes (none when the template is unchanged). */
export interface RevisionPlan {
  readonly generation: number;
  /** The new latest created revision; undefined when the template did not change. */
  readonly revisionName: string | undefined;
  /** An existing Revision of this Configuration with that name and the same template, used again. */
  readonly reused: Revision | undefined;
}

/**
 * Whether `template` differs from the Configuration's; throws if it changed under the same explicit name
 * (revision_validation.go VerifyNameChange: a named template is immutable under that name).
 */
export function templateChanged(cfg: Configuration | undefined, template: RevisionTemplateSpec, existing: Service | undefined): boolean {
  const oldTemplate = cfg?.spec.template;
  const changed = oldTemplate === undefined || !jsonEqual(oldTemplate, template);
  if (existing !== undefined && changed && template.metadata.name !== undefined && template.metadata.name === oldTemplate?.metadata.name) {
    throw new InvalidObjectError([
      { message: 'Saw the following changes without a name change (-old +new)', paths: ['spec.template.metadata.name'], details: jsonDiff(oldTemplate, template) },
    ]);
  }
  return changed;
}

/** Names the next revision; throws if that name is taken by another service's or another template's revision. */
export function planRevision(
  env: ReconcileEnv,
  ns: string,
  name: string,
  cfg: Configuration | undefined,
  template: RevisionTemplateSpec,
  changed: boolean,
): RevisionPlan {
  const generation = changed ? (cfg?.metadata.generation ?? 0) + 1 : (cfg?.metadata.generation ?? 0);
  const revisionName = changed ? (template.metadata.name ?? generatedRevisionName(name, generation)) : undefined;
  const reused = revisionName === undefined ? undefined : env.store.revisions.get(`${ns}/${revisionName}`);
  if (revisionName !== undefined && reused !== undefined) {
    if (reused.metadata.labels?.[LABELS.configuration] !== name) {
      throw alreadyExists(RESOURCES.Revision, revisionName, `it belongs to service ${goQuote(reused.metadata.labels?.[LABELS.service] ?? '')}`);
    }
    if (!jsonEqual(reused.spec, template.spec) || !jsonEqual(reused.metadata.annotations ?? {}, template.metadata.annotations ?? {})) {
      throw alreadyExists(RESOURCES.Revision, revisionName, 'it was made from a different template; give the new revision another name');
    }
  }
  return { generation, revisionName, reused };
}

/** Points the Configuration at the new template and creates its Revision (unless an identical one is reused). */
export function adoptTemplate(env: ReconcileEnv, config: Configuration, svc: Service, template: RevisionTemplateSpec, plan: RevisionPlan): void {
  if (plan.revisionName === undefined) return;
  config.spec = { template };
  config.metadata.generation = plan.generation;
  config.status.latestCreatedRevisionName = plan.revisionName;
  if (plan.reused === undefined) {
    const rev = newRevision(config, svc, plan.revisionName, template, stamp(env));
    env.store.revisions.set(key(rev), rev);
    env.log.info({ service: key(svc), revision: plan.revisionName }, 'revision created');
  }
}

/** Recomputes the Configuration's status; returns its Ready condition (the Service's ConfigurationsReady follows it). */
export function reconcileConfiguration(env: ReconcileEnv, cfg: Configuration, now: string): ConditionInput {
  const lc = cfg.status.latestCreatedRevisionName;
  const lcRev = lc === undefined ? undefined : env.store.revisions.get(`${cfg.metadata.namespace}/${lc}`);
  const cfgReady = configurationReady(lc, lcRev);
  if (cfgReady.status === 'True' && lc !== undefined) cfg.status.latestReadyRevisionName = lc;
  cfg.status.observedGeneration = cfg.metadata.generation;
  setCondition((cfg.status.conditions ??= []), cfgReady, now);
  return cfgReady;
}
