// Public API of @kdp/platform: the local platform (router + in-process activator + autoscaler + pod runtime in one
// process), the control plane the object layer in @kdp/cli (store, reconciler, control API, CLI) drives.
export type * from './control-plane-api.js';
export { startControlPlane } from './control-plane.js';
