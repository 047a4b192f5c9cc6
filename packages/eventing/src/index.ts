// Public API of @kdp/eventing.
export * from './cloudevent.js';
export * from './delivery.js';
export * from './filter.js';
export * from './store.js';
export * from './sqlite-store.js';
export * from './sender.js';
export * from './broker-engine.js';
export * from './engine.js';
export * from './ingress.js';
export * from './ping.js';
export * from './eventing.js';
export * from './attempt.js';
export * from './nats-engine.js';
