import { fileURLToPath } from 'node:url';
import { PROXY_SCENARIOS } from '../scenarios.js';
import { sampleAppPreflight, startSampleApp } from '../targets/sample-app.js';
import type { Suite, Target } from '../types.js';

const nodeHttpProxy: Target = {
  name: 'node-http-proxy',
  async start(ctx) {
    const app = await startSampleApp(ctx);
    const [port] = await ctx.freePorts(1);
    if (port === undefined) throw new Error('no free port');
    const proxy = ctx.spawn({
      role: 'proxy',
      name: 'node-http-proxy',
      command: process.execPath,
      args: [fileURLToPath(new URL('../reference/node-http-proxy.js', import.meta.url))],
      env: { PORT: String(port), UPSTREAM_PORT: String(app.port) },
    });
    const url = `http://127.0.0.1:${String(port)}`;
    const startupMs = await ctx.waitForFirstResponse(`${url}/`, proxy);
    return { url, measured: proxy, app: app.process, startupMs };
  },
};

/** The runner proving itself on a real proxy, and a same-run reference for the queue-proxy's figures. */
const suite: Suite = {
  name: 'reference',
  description:
    'A plain node:http reverse proxy (http.request, keep-alive agent, pipes) in front of the sample app: what the ' +
    'node:http object layers cost, measured the same way as the queue-proxy.',
  targets: [nodeHttpProxy],
  scenarios: PROXY_SCENARIOS,
  preflight: sampleAppPreflight,
};

export default suite;
