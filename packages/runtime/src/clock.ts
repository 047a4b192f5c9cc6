// The runtime arms timers (start deadlines, retry backoff, output drains) on core's one Clock; re-exported here so
// the runtime's modules and its public API name it as before.
export { systemClock, type Clock } from '@kdp/core';
