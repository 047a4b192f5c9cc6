// The environment and flags of `kdp` read once: the client's server address, and `kdp serve`'s ports, data
// directory and log level. Every problem is reported at once; the result is frozen. Only main.ts passes
// `process.env` in.

import os from 'node:os';
import path from 'node:path';
import { ConfigError, isLogLevel, type LogLevel } from '@kdp/core';
import { CliError } from './args.js';
import { LOG_FORMATS, type LogFormat } from './log-format.js';
import { DEFAULT_SERVER } from './client.js';

type Env = Readonly<Record<string, string | undefined>>;

/** `--server`, else `KDP_SERVER`, else the default `kdp serve` address. */
export function serverUrl(flag: string | undefined, env: Env): string {
  const v = flag ?? env['KDP_SERVER'] ?? DEFAULT_SERVER;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new CliError(`${flag === undefined ? 'KDP_SERVER' : '--server'} ${JSON.stringify(v)} is not a URL (e.g. ${DEFAULT_SERVER})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--server ${JSON.stringify(v)}: expected an http:// URL`);
  return v.replace(/\/+$/, '');
}

export interface ServeConfig {
  /** The router (where services are reached). Default 8080, Knative's user port and the common local HTTP port. */
  readonly routerPort: number;
  readonly routerHost: string;
  /** The control API. Default 8081: next to the router, easy to remember. */
  readonly apiPort: number;
  /** Default 127.0.0.1: nothing but local processes should reach the API. */
  readonly apiHost: string;
  /**
   * Host names the API answers to besides localhost, 127.0.0.1 and [::1] (lower case, no port). Default: none, plus
   * `apiHost` itself when it is a specific address (binding to 192.168.1.5 means clients send `Host: 192.168.1.5`).
   */
  readonly apiAllowedHosts: readonly string[];
  /** Default `$KDP_DATA_DIR`, else `~/.kdp`. */
  readonly dataDir: string;
  /** Default `info`: lifecycle lines (revision created/ready, route changed, pods scaled). */
  readonly logLevel: LogLevel;
  /** `pretty` (one readable line per event) when stdout is a terminal, else `json` (pino lines, for files and pipes). */
  readonly logFormat: LogFormat;
  /** Default the router's `localhost` (hosts resolve to loopback without DNS set-up). */
  readonly domain: string | undefined;
  /** Route `Knative-Serving-Tag` on the default host (Knative's `tag-header-based-routing` feature); on by default. */
  readonly tagHeaderRouting: boolean;
  /** Durability of the event store: `full` (default: the WAL is fsynced before a 202, an accepted event survives a power loss) or `normal`. */
  readonly eventingSync: 'full' | 'normal';
  /** `nats://HOST:PORT`: brokers on NATS JetStream, shared by every kdp serve using it; default the embedded store. */
  readonly eventingBackend: string | undefined;
  /** Knative's `allow-zero-initial-scale` (config-autoscaler): `initial-scale: 0` is refused unless set. Default off, as Knative. */
  readonly allowZeroInitialScale: boolean;
}

export interface ServeFlags {
  'router-port'?: string | undefined;
  'router-host'?: string | undefined;
  'api-port'?: string | undefined;
  'api-host'?: string | undefined;
  'api-allowed-hosts'?: string | undefined;
  'data-dir'?: string | undefined;
  'log-level'?: string | undefined;
  'log-format'?: string | undefined;
  domain?: string | undefined;
  'tag-header-routing'?: string | undefined;
  'eventing-sync'?: string | undefined;
  'eventing-backend'?: string | undefined;
  'allow-zero-initial-scale'?: boolean | undefined;
}

export const SERVE_DEFAULTS = Object.freeze({ routerPort: 8080, apiPort: 8081, host: '127.0.0.1' });

export function serveConfig(flags: ServeFlags, env: Env, cwd: string, stdoutIsTTY = false): ServeConfig {
  const problems: string[] = [];
  const port = (flag: 'router-port' | 'api-port', variable: string, dflt: number): number => {
    const v = flags[flag] ?? env[variable];
    if (v === undefined || v === '') return dflt;
    if (!/^\d+$/.test(v) || Number(v) > 65535) {
      problems.push(`${flags[flag] === undefined ? variable : `--${flag}`}: ${JSON.stringify(v)} is not a port (0..65535)`);
      return dflt;
    }
    return Number(v);
  };
  const routerPort = port('router-port', 'KDP_ROUTER_PORT', SERVE_DEFAULTS.routerPort);
  const apiPort = port('api-port', 'KDP_API_PORT', SERVE_DEFAULTS.apiPort);
  if (routerPort === apiPort && routerPort !== 0) problems.push(`the router and the control API cannot both use port ${routerPort}`);
  const logLevel = flags['log-level'] ?? env['KDP_LOG_LEVEL'] ?? 'info';
  if (!isLogLevel(logLevel)) problems.push(`log level ${JSON.stringify(logLevel)}: expected fatal, error, warn, info, debug, trace or silent`);
  const logFormatRaw = flags['log-format'] ?? env['KDP_LOG_FORMAT'] ?? (stdoutIsTTY ? 'pretty' : 'json');
  const logFormat = LOG_FORMATS.find((f) => f === logFormatRaw);
  if (logFormat === undefined) {
    problems.push(`${flags['log-format'] === undefined ? 'KDP_LOG_FORMAT' : '--log-format'}: ${JSON.stringify(logFormatRaw)} is not json or pretty`);
  }
  const tagHeaderRaw = (flags['tag-header-routing'] ?? env['KDP_TAG_HEADER_ROUTING'] ?? 'enabled').toLowerCase();
  const tagHeaderRouting = ['enabled', 'on', 'true'].includes(tagHeaderRaw);
  if (!tagHeaderRouting && !['disabled', 'off', 'false'].includes(tagHeaderRaw)) {
    problems.push(`tag header routing ${JSON.stringify(tagHeaderRaw)}: expected enabled or disabled`);
  }
  const eventingSync = (flags['eventing-sync'] ?? env['KDP_EVENTING_SYNC'] ?? 'full').toLowerCase();
  if (eventingSync !== 'full' && eventingSync !== 'normal') {
    problems.push(`${flags['eventing-sync'] === undefined ? 'KDP_EVENTING_SYNC' : '--eventing-sync'}: ${JSON.stringify(eventingSync)}: expected full or normal`);
  }
  const backendRaw = flags['eventing-backend'] ?? env['KDP_EVENTING_BACKEND'];
  let eventingBackend: string | undefined;
  if (backendRaw !== undefined && backendRaw !== '' && backendRaw !== 'embedded') {
    const name = flags['eventing-backend'] === undefined ? 'KDP_EVENTING_BACKEND' : '--eventing-backend';
    try {
      const u = new URL(backendRaw);
      if (u.protocol !== 'nats:' || u.hostname === '') problems.push(`${name}: ${JSON.stringify(backendRaw)}: expected nats://HOST:PORT or embedded`);
      else eventingBackend = backendRaw;
    } catch {
      problems.push(`${name}: ${JSON.stringify(backendRaw)}: expected nats://HOST:PORT or embedded`);
    }
  }
  let allowZeroInitialScale = flags['allow-zero-initial-scale'] === true;
  const zeroEnv = env['KDP_ALLOW_ZERO_INITIAL_SCALE'];
  if (flags['allow-zero-initial-scale'] === undefined && zeroEnv !== undefined && zeroEnv !== '') {
    if (['true', '1', 'enabled'].includes(zeroEnv.toLowerCase())) allowZeroInitialScale = true;
    else if (!['false', '0', 'disabled'].includes(zeroEnv.toLowerCase())) problems.push(`KDP_ALLOW_ZERO_INITIAL_SCALE: ${JSON.stringify(zeroEnv)} is not true or false`);
  }
  const dataDirRaw = flags['data-dir'] ?? env['KDP_DATA_DIR'];
  const dataDir = dataDirRaw === undefined || dataDirRaw === '' ? path.join(os.homedir(), '.kdp') : path.resolve(cwd, dataDirRaw);
  const apiHost = flags['api-host'] ?? env['KDP_API_HOST'] ?? SERVE_DEFAULTS.host;
  const allowedRaw = flags['api-allowed-hosts'] ?? env['KDP_API_ALLOWED_HOSTS'] ?? '';
  const apiAllowedHosts: string[] = [];
  for (const h of allowedRaw.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== '')) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/.test(h)) {
      problems.push(`${flags['api-allowed-hosts'] === undefined ? 'KDP_API_ALLOWED_HOSTS' : '--api-allowed-hosts'}: ${JSON.stringify(h)} is not a host name (no port, no scheme; IPv6 in brackets)`);
    } else apiAllowedHosts.push(h);
  }
  // A specific bind address is a name clients will use; the wildcard ones are not (a client never sends Host: 0.0.0.0).
  if (apiHost !== '0.0.0.0' && apiHost !== '::' && apiHost !== '') apiAllowedHosts.push(apiHost.includes(':') ? `[${apiHost.toLowerCase()}]` : apiHost.toLowerCase());
  if (problems.length > 0) {
    // Worded by core's one config-problems error; thrown as the CliError that `kdp` prints and exits 1 with.
    const problem = new ConfigError(problems, 'kdp serve configuration');
    throw new CliError(problem.message, { cause: problem });
  }
  return Object.freeze({
    routerPort,
    routerHost: flags['router-host'] ?? env['KDP_ROUTER_HOST'] ?? SERVE_DEFAULTS.host,
    apiPort,
    apiHost,
    apiAllowedHosts: Object.freeze(apiAllowedHosts),
    dataDir,
    logLevel: isLogLevel(logLevel) ? logLevel : 'info',
    logFormat: logFormat ?? 'json',
    domain: flags.domain ?? env['KDP_DOMAIN'],
    tagHeaderRouting,
    eventingSync: eventingSync === 'normal' ? 'normal' : 'full',
    eventingBackend,
    allowZeroInitialScale,
  });
}
