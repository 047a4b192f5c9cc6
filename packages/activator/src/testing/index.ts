// Test helpers of @kdp/activator (imported as `@kdp/activator/testing`; never by production code).
export { FakeAutoscaler } from './fake-autoscaler.js';
export type { ReceivedStat } from './fake-autoscaler.js';
export { startFakeQueueProxy } from './fake-queue-proxy.js';
export type { FakeQueueProxy } from './fake-queue-proxy.js';
