// Public API of @kdp/core. Each line re-exports one module; append, do not reorder.
export type * from './http/exchange.js';
export * from './http/upstream.js';
