// Public API of @kdp/router: the request-path-free core (traffic validation and resolution, exact split, hosts,
// the route table). Each line re-exports one module.
export * from './errors.js';
export * from './field-error.js';
export * from './k8s-names.js';
export * from './traffic.js';
export * from './traffic-resolution.js';
export * from './split-schedule.js';
export * from './split.js';
export * from './host.js';
export * from './route-table.js';
