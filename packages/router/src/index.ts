// Public API of @kdp/router: traffic validation and resolution, exact split, hosts, the route table, and the
// router's request path over an Exchange (handler.ts). Each line re-exports one module.
export * from './errors.js';
export * from './field-error.js';
export * from './k8s-names.js';
export * from './traffic.js';
export * from './traffic-resolution.js';
export * from './split-schedule.js';
export * from './split.js';
export * from './host.js';
export * from './route-table.js';
export * from './handler.js';
