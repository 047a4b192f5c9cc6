// Public API of @kdp/core. Each line re-exports one module; append, do not reorder.
export type * from './http/exchange.js';
export * from './http/upstream.js';
export * from './http1/engine.js';
export { BodyFramer, FRAMING } from './http1/framer.js';
export { Head, parseRequestHead, parseResponseHead, findHeadEnd } from './http1/head.js';
export * from './stat-proto.js';
export * from './errors.js';
export * from './breaker.js';
export * from './request-stats.js';
export * from './drainer.js';
export * from './probe-headers.js';
export * from './forwarded.js';
export * from './env.js';
export * from './logger.js';
export * from './fallback/engine.js';
export * from './signals.js';
export * from './fallback/lazy.js';
export * from './deferred-logger.js';
