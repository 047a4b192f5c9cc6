// `kdp service create|update --sink SINK [--ce-override K=V …]`: what Knative's SinkBinding injects, resolved once
// here and written into the revision's environment: `K_SINK` (the sink's URL: a broker's ingress address, a
// Service's URL, or the URL given; `--sink -` removes it) and `K_CE_OVERRIDES` (`{"extensions":{…}}`), so an app can emit CloudEvents
// without knowing where they go (see packages/eventing/bin/producer.js).

import { parseKeyValueEdits } from '../args.js';
import type { ApiClient } from '../client.js';
import type { Broker } from '../objects/eventing-types.js';
import { getOf, resolveSink } from './eventing-flags.js';

export const SINK_OPTIONS = {
  sink: { type: 'string', short: 's' },
  'ce-override': { type: 'string', multiple: true },
} as const;

/** `--env` edits for K_SINK and K_CE_OVERRIDES; empty when neither flag is given. */
export async function sinkEnv(client: ApiClient, v: { sink?: string | undefined; 'ce-override'?: string[] | undefined }, ns: string, command: string): Promise<string[]> {
  const out: string[] = [];
  if (v.sink === '-') out.push('K_SINK-');
  else if (v.sink !== undefined) {
    const d = await resolveSink(client, v.sink, ns, 'sink', command);
    let url = d.uri ?? '';
    if (d.ref?.kind === 'Broker') url = (await getOf<Broker>(client, 'Broker', d.ref.namespace ?? ns, d.ref.name)).status.address?.url ?? '';
    else if (d.ref?.kind === 'Service') url = (await client.getService(d.ref.namespace ?? ns, d.ref.name)).status.url ?? '';
    out.push(`K_SINK=${url}`);
  }
  if (v['ce-override'] !== undefined) {
    const extensions: Record<string, string> = {};
    for (const e of parseKeyValueEdits(v['ce-override'], 'ce-override', command)) if (e.kind === 'set') extensions[e.key] = e.value;
    out.push(Object.keys(extensions).length === 0 ? 'K_CE_OVERRIDES-' : `K_CE_OVERRIDES=${JSON.stringify({ extensions })}`);
  }
  return out;
}
