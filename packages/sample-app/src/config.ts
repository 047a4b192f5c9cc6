// Only the one dependency-free module of core, so the app's start-up loads nothing more than it did.
import { ConfigError } from '@kdp/core/errors';

/**
 * The sample app's whole configuration, read from the environment once (Knative's runtime contract: the platform
 * sets PORT and K_REVISION; TARGET is helloworld-go's knob). All problems are reported together.
 */
export interface SampleAppConfig {
  /** Knative's runtime contract: the container listens on $PORT, 8080 when unset. 0 picks a free port. */
  readonly port: number;
  /**
   * Not part of Knative's contract (a container there listens on all interfaces). Defaults to loopback so that a
   * developer running the app on a laptop does not expose it; set HOST=0.0.0.0 in a container image.
   */
  readonly host: string;
  /** helloworld-go answers `Hello ${TARGET}!`, with TARGET defaulting to `World`. */
  readonly target: string;
  /** Knative sets K_REVISION to the revision's name; echoed in `X-Kdp-Revision` when set and non-empty. */
  readonly revision?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The environment's problems, every one naming its variable. Core's `ConfigError` with a code of its own, so the
 * stand-in user container's failures are told apart from kdp's.
 */
export class SampleAppConfigError extends ConfigError {
  override readonly code = 'KDP_ERR_SAMPLE_APP_CONFIG';

  constructor(lines: readonly string[], subject = 'sample app configuration') {
    super(lines, subject);
    this.name = 'SampleAppConfigError';
  }

  /** The lines, under the name `run` prints them with (`"problems": [...]`). */
  get problems(): readonly string[] {
    return this.lines;
  }
}

const DEFAULT_PORT = 8080;
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_TARGET = 'World';
// A field value as RFC 9110 allows it (no CR, LF or other control characters except HTAB).
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function readSampleAppConfig(env: Env): SampleAppConfig {
  const problems: string[] = [];

  let port = DEFAULT_PORT;
  const rawPort = env['PORT'];
  if (rawPort !== undefined && rawPort !== '') {
    if (/^\d{1,5}$/.test(rawPort) && Number(rawPort) <= 65535) port = Number(rawPort);
    else problems.push(`PORT must be an integer in 0..65535, got ${JSON.stringify(rawPort)}`);
  }

  const rawHost = env['HOST'];
  const host = rawHost === undefined || rawHost === '' ? DEFAULT_HOST : rawHost;

  const rawTarget = env['TARGET'];
  const target = rawTarget === undefined || rawTarget === '' ? DEFAULT_TARGET : rawTarget;

  const revision = env['K_REVISION'];
  if (revision !== undefined && !HEADER_VALUE.test(revision)) {
    problems.push('K_REVISION must be usable as a header value (no control characters)');
  }

  if (problems.length > 0) throw new SampleAppConfigError(problems);
  const config: SampleAppConfig =
    revision === undefined || revision === '' ? { port, host, target } : { port, host, target, revision };
  return Object.freeze(config);
}
