// The Revision's lifecycle, as Knative's revision reconciler drives it (serving pkg/reconciler/revision): a Revision
// object runs on the control plane once something needs it (added as an immutable snapshot), its conditions follow
// what the control plane reports (ready, failed), and reads see the control plane's live numbers (pods, Active).
import { makeRevision, RuntimeConfigError, type Revision as RuntimeRevision } from '@kdp/runtime';
import { readyStatus, setCondition, type ConditionInput } from '../objects/conditions.js';
import { timestamp } from '../objects/factory.js';
import { toRevisionInput } from '../objects/to-revision.js';
import { LABELS, type Revision } from '../objects/types.js';
import { key, type ReconcileEnv } from './env.js';

export class RevisionLifecycle {
  readonly #env: ReconcileEnv;
  /** Revisions added to the control plane since start. */
  readonly #added = new Set<string>();

  constructor(env: ReconcileEnv) {
    this.#env = env;
  }

  /** Adds the revision to the control plane unless it is there; a spec it refuses marks the revision failed. */
  ensureAdded(rev: Revision): void {
    const k = key(rev);
    if (this.#added.has(k)) return;
    let snapshot: RuntimeRevision;
    try {
      snapshot = makeRevision(
        toRevisionInput(rev.metadata.namespace, rev.metadata.labels?.[LABELS.service] ?? '', rev.metadata.name, {
          metadata: { ...(rev.metadata.annotations !== undefined && { annotations: rev.metadata.annotations }) },
          spec: rev.spec,
        }),
      );
    } catch (err) {
      const message = err instanceof RuntimeConfigError ? err.lines.join('; ') : (err as Error).message;
      this.markFailed(rev, 'InvalidSpec', message);
      return;
    }
    this.#added.add(k);
    try {
      this.#env.cp.addRevision(snapshot);
    } catch (err) {
      this.#added.delete(k);
      this.markFailed(rev, 'CreationFailed', (err as Error).message);
    }
  }

  /** Removes the revision from the control plane if it was added; resolves once its pods have stopped. */
  async remove(k: string): Promise<void> {
    if (!this.#added.delete(k)) return;
    try {
      await this.#env.cp.removeRevision(k);
    } catch (err) {
      this.#env.log.warn({ revision: k, err }, 'removing revision failed');
    }
  }

  /** The control plane reported the revision ready. */
  markReady(rev: Revision): void {
    const now = timestamp(this.#env.now());
    const conditions = (rev.status.conditions ??= []);
    const wasReady = readyStatus(conditions) === 'True';
    for (const type of ['Ready', 'ContainerHealthy', 'ResourcesAvailable']) setCondition(conditions, { type, status: 'True' }, now);
    if (!wasReady) this.#env.log.info({ revision: key(rev) }, 'revision ready');
  }

  markFailed(rev: Revision, reason: string, message: string): void {
    const now = timestamp(this.#env.now());
    const conditions = (rev.status.conditions ??= []);
    setCondition(conditions, { type: 'Ready', status: 'False', reason, message }, now);
    setCondition(conditions, { type: 'ContainerHealthy', status: 'False', reason, message }, now);
  }

  /** A Revision with what the control plane knows now: pod counts and Knative's `Active` condition. */
  withLiveStatus(rev: Revision): Revision {
    const st = this.#env.cp.revisionStatus(key(rev));
    const actual = st?.actualPods ?? 0;
    const conditions = structuredClone(rev.status.conditions ?? []);
    const now = timestamp(this.#env.now());
    const active: ConditionInput =
      actual > 0
        ? { type: 'Active', status: 'True', severity: 'Info' }
        : { type: 'Active', status: 'False', severity: 'Info', reason: 'NoTraffic', message: 'The target is not receiving traffic.' };
    setCondition(conditions, active, now);
    return {
      ...rev,
      status: { ...rev.status, conditions, actualReplicas: actual, desiredReplicas: st?.desiredPods ?? 0, ...(st !== undefined && { live: st.live }) },
    };
  }
}
