// Public API of @kdp/cli: the object layer (Knative objects, store, reconciler, control API) over the local
// platform (@kdp/platform, re-exported here as before) for embedding and tests. The `kdp` command is
// bin/kdp.js → main.ts.
export * from '@kdp/platform';
export * from './objects/types.js';
export { Store, StoreError, STATE_FILE } from './store.js';
export { Reconciler, type ReconcilerOptions, type ReconcilerLogger } from './reconciler.js';
export { buildApi } from './api.js';
export { serve, type Serving } from './commands/serve.js';
export { serveConfig, type ServeConfig } from './config.js';
export { run } from './cli.js';
