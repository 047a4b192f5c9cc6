import { PROXY_SCENARIOS } from '../scenarios.js';
import { sampleAppPreflight } from '../targets/sample-app.js';
import type { Suite } from '../types.js';

/** The runner's own proof: only the baseline, the sample app hit directly, under the shapes the proxy suites use. */
const suite: Suite = {
  name: 'direct',
  description: 'The sample app alone (node:http), hit directly: the baseline every proxy suite is compared with.',
  targets: [],
  scenarios: PROXY_SCENARIOS,
  preflight: sampleAppPreflight,
};

export default suite;
