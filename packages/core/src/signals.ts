/**
 * Knative's process lifecycle (`P:signals/signal.go#SetupSignalHandler`): the first SIGTERM/SIGINT starts a
 * graceful shutdown and exits 0 when it completes (1 if it fails); a second signal exits 1 at once.
 */
import type { KdpLogger } from './logger.js';

export type SignalLogger = Pick<KdpLogger, 'info' | 'warn' | 'error'>;

export interface ShutdownOnSignalsOptions {
  readonly logger: SignalLogger;
  readonly shutdown: () => Promise<void>;
  /** Injected for tests; defaults to `process`. */
  readonly proc?: SignalSource;
}

export interface SignalSource {
  on(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

export function shutdownOnSignals(opts: ShutdownOnSignalsOptions): void {
  const { logger, shutdown } = opts;
  const proc = opts.proc ?? process;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      proc.exit(1);
      return;
    }
    logger.info({ signal }, 'received signal; starting graceful drain');
    shutdown().then(
      () => proc.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        proc.exit(1);
      },
    );
  };
  proc.on('SIGTERM', onSignal);
  proc.on('SIGINT', onSignal);
}
