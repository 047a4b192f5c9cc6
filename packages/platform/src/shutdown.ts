/**
 * Ending the control plane: in order, so that nothing in flight is cut off before its grace period and no child
 * process survives.
 */
import type { ResolvedOptions } from './options.js';
import type { RevisionRegistry } from './revision-registry.js';
import type { RouterListener } from './router-listener.js';
import type { DataPath } from './wiring.js';

/** Undoes `wireDataPath` when the router could not listen: nothing was started, no pod runs yet. */
export async function abortDataPath({ activator, prober, scraper, supervisor }: DataPath): Promise<void> {
  activator.close();
  prober.close();
  scraper.close();
  await supervisor.close({ graceMs: 0 });
}

export interface Running {
  readonly o: ResolvedOptions;
  readonly router: RouterListener;
  readonly dataPath: DataPath;
  readonly registry: RevisionRegistry;
}

/** `ControlPlane.stop`: router first, then the ticks, then the pods, each given `shutdownGraceMs`. */
export async function shutDown({ o, router, dataPath, registry }: Running): Promise<void> {
  const { logger } = o;
  const { autoscaler, scraper, activator, prober, supervisor } = dataPath;
  logger.info({ graceMs: o.shutdownGraceMs }, 'control plane stopping');
  registry.stopSampling();
  // New connections refused, in-flight requests (buffered ones included: pods may still start for them) finish.
  await router.engine.close(o.shutdownGraceMs);
  autoscaler.stop();
  scraper.close();
  activator.close();
  prober.close();
  // Every pod drained and gone; the orphan guard ends with it.
  await supervisor.close({ graceMs: o.shutdownGraceMs });
  registry.clear();
  logger.info('control plane stopped');
}
