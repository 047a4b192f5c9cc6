import { directTarget, sampleAppPreflight } from '../targets/sample-app.js';
import type { Suite } from '../types.js';

/**
 * How much load autocannon itself can generate here: the app gets the proxy's CPU to itself, so the load generator
 * is alone on its CPU. If `load CPU` reads ~100 % while the app is below 100 %, the figure is autocannon's ceiling.
 */
const suite: Suite = {
  name: 'loadgen',
  description:
    "The load generator's own ceiling: the sample app alone on the proxy's CPU, autocannon alone on the other. " +
    'When the load generator is at ~100 % of its CPU and the app is not, req/s is what autocannon can push.',
  baseline: directTarget('app-alone-on-cpu0', 'proxy'),
  targets: [],
  scenarios: [
    { name: 'c10-hello', connections: 10, path: '/' },
    { name: 'c100-hello', connections: 100, path: '/' },
    { name: 'c100-size64k', connections: 100, path: '/?size=65536' },
  ],
  preflight: sampleAppPreflight,
};

export default suite;
