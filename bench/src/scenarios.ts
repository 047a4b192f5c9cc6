import type { Scenario } from './types.js';

/** The load shapes every proxy suite (queue-proxy, activator, router) and the direct baseline share. */
export const PROXY_SCENARIOS: readonly Scenario[] = Object.freeze([
  { name: 'c1-size10', connections: 1, path: '/?size=10' },
  { name: 'c1-size10-samecpu', connections: 1, path: '/?size=10', cpus: 'shared' },
  { name: 'c10-size10', connections: 10, path: '/?size=10' },
  { name: 'c100-size10', connections: 100, path: '/?size=10' },
  { name: 'c100-size64k', connections: 100, path: '/?size=65536' },
  { name: 'c100-sleep10', connections: 100, path: '/?sleep=10' },
]);

/** Each scenario once per value of one environment variable, named `<scenario>-<suffix><value>`. */
export function varyEnv(
  scenarios: readonly Scenario[],
  variable: string,
  values: readonly string[],
  suffix: string,
): Scenario[] {
  return scenarios.flatMap((s) =>
    values.map((v) => ({ ...s, name: `${s.name}-${suffix}${v}`, env: { ...s.env, [variable]: v } })),
  );
}
