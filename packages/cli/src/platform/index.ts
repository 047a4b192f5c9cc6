// The local platform: the control plane the object layer (store, reconciler, control API, CLI) drives.
export type * from './control-plane-api.js';
export { startControlPlane } from './control-plane.js';
export { createRouterHandler } from './router.js';
export type { HostForward, RevisionHandler } from './router.js';
