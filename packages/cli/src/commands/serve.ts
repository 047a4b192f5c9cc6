// `kdp serve`: the local platform in one process. Wiring only: the store (state file), the control plane (router,
// activator, autoscaler, pods), the reconciler between them, and the control API; then wait for SIGINT/SIGTERM and
// stop everything (no child process survives), exit 0.

import path from 'node:path';
import { resolveAutoscalerConfig } from '@kdp/autoscaler';
import { createLogger, shutdownOnSignals, type Logger } from '@kdp/core';
import { startEventing, type Eventing } from '@kdp/eventing';
import { DEFAULT_DOMAIN } from '@kdp/router';
import { buildApi } from '../api.js';
import { registerEventingApi } from '../eventing-api.js';
import { EventingReconciler, INGRESS_HOST_PREFIX } from '../eventing-reconciler.js';
import { TOKEN_FILE, writeApiToken } from '../api-token.js';
import { prettyDestination } from '../log-format.js';
import { CliError } from '../args.js';
import type { ServeConfig } from '../config.js';
import type { Io } from '../io.js';
import { startControlPlane } from '@kdp/platform';
import type { ControlPlane, ControlPlaneOptions } from '@kdp/platform';
import { lockDataDir } from '../data-dir-lock.js';
import { Reconciler } from '../reconciler.js';
import { Store, StoreError } from '../store.js';

export interface ServeDeps {
  readonly startControlPlane: (o: ControlPlaneOptions) => Promise<ControlPlane>;
}

/** Resolves once everything listens; the returned `stop` is what the signal handler runs. */
export interface Serving {
  readonly routerUrl: string;
  readonly apiUrl: string;
  readonly logger: Logger;
  stop(): Promise<void>;
  /** Prints the banner (URLs, state file). Separate from `serve` so callers can install signal handlers first. */
  announce(): void;
}

export async function serve(cfg: ServeConfig, io: Io, deps: ServeDeps = { startControlPlane }): Promise<Serving> {
  const color = io.stdoutIsTTY === true && (io.env['NO_COLOR'] ?? '') === '';
  const logger = createLogger({
    name: 'kdp',
    level: cfg.logLevel,
    ...(cfg.logFormat === 'pretty' && { destination: prettyDestination((t) => io.out(t), color) }),
  });
  const unlock = await lockDataDir(cfg.dataDir);
  let store: Store;
  let token: string;
  const tokenFile = path.join(cfg.dataDir, TOKEN_FILE);
  try {
    store = await Store.open(cfg.dataDir);
    token = await writeApiToken(cfg.dataDir);
  } catch (err) {
    await unlock();
    throw err instanceof StoreError ? new CliError(err.message) : err;
  }

  // Eventing first: the router forwards the broker ingress host to its server, so its port must be known.
  let eventing: Eventing;
  try {
    eventing = await startEventing({ dataDir: cfg.dataDir, logger, sync: cfg.eventingSync, natsUrl: cfg.eventingBackend });
  } catch (err) {
    await unlock();
    throw new CliError(`cannot open the event store (${cfg.eventingBackend ?? `under ${cfg.dataDir}`}): ${(err as Error).message}`);
  }
  const ingressHost = `${INGRESS_HOST_PREFIX}.${cfg.domain ?? DEFAULT_DOMAIN}`.toLowerCase();

  let cp: ControlPlane;
  try {
    cp = await deps.startControlPlane({
      routerPort: cfg.routerPort,
      routerHost: cfg.routerHost,
      logger,
      ...(cfg.domain !== undefined && { domain: cfg.domain }),
      tagHeaderRouting: cfg.tagHeaderRouting,
      hostForwards: [{ host: ingressHost, port: eventing.ingress.port }],
      autoscaler: { allowZeroInitialScale: cfg.allowZeroInitialScale },
    });
  } catch (err) {
    await eventing.close(0);
    await unlock();
    throw listenError(err, 'router', cfg.routerHost, cfg.routerPort, '--router-port');
  }

  const reconciler = new Reconciler({
    store,
    controlPlane: cp,
    logger,
    autoscaler: resolveAutoscalerConfig({ allowZeroInitialScale: cfg.allowZeroInitialScale }),
  });
  const eventingObjects = await EventingReconciler.open(store.file === '' ? '' : cfg.dataDir, {
    services: store.services,
    revisions: store.revisions,
    readyPods: (key) => cp.revisionStatus(key)?.readyPods ?? 0,
    routerPort: Number(new URL(cp.routerUrl).port),
    domain: cp.domain,
    configure: (m) => eventing.configure(m),
  }, logger);
  const api = buildApi(reconciler, { token, allowedHosts: cfg.apiAllowedHosts, tokenFile });
  registerEventingApi(api, eventingObjects, eventing.engine);
  try {
    await api.listen({ host: cfg.apiHost, port: cfg.apiPort });
  } catch (err) {
    await cp.stop();
    await eventing.close(0);
    await unlock();
    throw listenError(err, 'control API', cfg.apiHost, cfg.apiPort, '--api-port');
  }
  // Before the first request can be read: listen() resolved on this turn, connections are handled on later ones.
  reconciler.start();
  eventingObjects.start();

  const address = api.server.address();
  const apiPort = typeof address === 'object' && address !== null ? address.port : cfg.apiPort;
  const apiUrl = `http://${cfg.apiHost.includes(':') ? `[${cfg.apiHost}]` : cfg.apiHost}:${apiPort}`;
  const routerPort = new URL(cp.routerUrl).port;
  const services = store.services.size;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Refuse new API calls first, then drain the data path and the pods, then make sure the last state is on disk.
      await api.close();
      reconciler.stop();
      eventingObjects.stop();
      // Deliveries in flight may go through the router: finish them (or leave them to the restart) first.
      await eventing.close(2_000);
      await cp.stop();
      await store.flush();
      await eventingObjects.flush();
      await unlock();
    })());
  const announce = (): void => {
    io.out(
      [
        'kdp serve is running',
        `  router       ${cp.routerUrl}   services answer at http://<service>.<namespace>.${cp.domain}:${routerPort}`,
        `  control API  ${apiUrl}   (the kdp CLI's --server / KDP_SERVER; credential in ${tokenFile})`,
        `  state        ${store.file}${services > 0 ? `   (${services} service${services === 1 ? '' : 's'} restored)` : ''}`,
        `  eventing     brokers answer at http://${ingressHost}:${routerPort}/<namespace>/<broker>`,
        `  events       ${eventing.storeDescription}${eventing.resumed > 0 ? `   (${eventing.resumed} deliveries resumed)` : ''}`,
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  };
  return { routerUrl: cp.routerUrl, apiUrl, logger, stop, announce };
}

/** `kdp serve` as a command: runs until SIGINT/SIGTERM (a second signal exits at once with 1). */
export async function serveUntilSignal(cfg: ServeConfig, io: Io): Promise<number> {
  const serving = await serve(cfg, io);
  // Signal handlers before the banner: whoever waits for it may send SIGTERM the moment they read it.
  shutdownOnSignals({ logger: serving.logger, shutdown: () => serving.stop() });
  serving.announce();
  // The process now lives on its servers; shutdownOnSignals exits it.
  return new Promise<number>(() => undefined);
}

function listenError(err: unknown, what: string, host: string, port: number, flag: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new CliError(`port ${port} on ${host} is already in use, so the ${what} cannot listen — is another \`kdp serve\` running? Stop it, or pick another port with ${flag}`);
  }
  if (code === 'EACCES') return new CliError(`no permission to listen on ${host}:${port} for the ${what}; pick a port above 1023 with ${flag}`);
  if (code === 'EADDRNOTAVAIL') return new CliError(`${host} is not an address of this machine (the ${what} cannot listen on it)`);
  return err;
}
