// Public API of @kdp/sample-app.
export { startSampleApp, type SampleApp, type SampleAppOptions } from './server.js';
export { readSampleAppConfig, SampleAppConfigError, type SampleAppConfig, type Env } from './config.js';
export { run, processDeps, type RunDeps } from './run.js';
export { parseQuery, QUERY_LIMITS, type SampleQuery, type QueryResult } from './query.js';
