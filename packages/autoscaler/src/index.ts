// Public API of @kdp/autoscaler: Knative's KPA (decider, metric windows, scraper, scale to zero) for local use.
export { ANNOTATIONS, HPA_CLASS, KPA_CLASS, validateAnnotations, type Annotations } from './annotations.js';
export * from './autoscaler.js';
export * from './collector.js';
export * from './config.js';
export * from './decider.js';
export * from './errors.js';
export * from './go-duration.js';
export * from './max-time-window.js';
export * from './metric-windows.js';
export * from './pa-reconciler.js';
export * from './sample-size.js';
export * from './scraper.js';
export * from './settings.js';
