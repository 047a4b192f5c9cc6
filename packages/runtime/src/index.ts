// Public API of @kdp/runtime: local pods (user process + queue-proxy) for Knative Revisions.
export * from './revision-spec.js';
export * from './ports.js';
export * from './pod.js';
export * from './revision-runner.js';
export * from './supervisor.js';
export * from './orphan-guard.js';
export * from './container-process.js';
export * from './backoff.js';
export * from './clock.js';
export * from './errors.js';
export type * from './events.js';
export type * from './logger.js';
