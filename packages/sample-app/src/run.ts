import { readSampleAppConfig, SampleAppConfigError, type Env, type SampleAppConfig } from './config.js';
import { startSampleApp, type SampleApp } from './server.js';

/** What `run` needs from the process, so that tests can drive it without signals or exits. */
export interface RunDeps {
  readonly env: Env;
  readonly pid: number;
  writeStdout(line: string): void;
  writeStderr(line: string): void;
  onSignal(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  exit(code: number): void;
}

export function processDeps(): RunDeps {
  return {
    env: process.env,
    pid: process.pid,
    writeStdout: (line) => process.stdout.write(line),
    writeStderr: (line) => process.stderr.write(line),
    onSignal: (signal, handler) => process.on(signal, handler),
    exit: (code) => process.exit(code),
  };
}

/**
 * The sample app's composition root: config from the environment, one JSON line on stdout once listening, a clean
 * exit 0 on SIGTERM (Kubernetes' stop signal) or SIGINT once every connection is closed.
 */
export async function run(deps: RunDeps = processDeps()): Promise<SampleApp | undefined> {
  let app: SampleApp;
  let config: SampleAppConfig;
  try {
    config = readSampleAppConfig(deps.env);
    app = await startSampleApp(config);
  } catch (err) {
    const problems = err instanceof SampleAppConfigError ? err.problems : [String(err)];
    deps.writeStderr(`${JSON.stringify({ level: 'error', msg: 'cannot start', problems })}\n`);
    deps.exit(1);
    return undefined;
  }
  const stop = (): void => {
    app.close().then(
      () => deps.exit(0),
      (err: unknown) => {
        deps.writeStderr(`${JSON.stringify({ level: 'error', msg: 'close failed', error: String(err) })}\n`);
        deps.exit(1);
      },
    );
  };
  // Signal handlers before the "listening" line: whoever waits for it may send SIGTERM the moment they read it.
  deps.onSignal('SIGTERM', stop);
  deps.onSignal('SIGINT', stop);
  deps.writeStdout(
    `${JSON.stringify({
      level: 'info',
      msg: 'listening',
      pid: deps.pid,
      host: app.host,
      port: app.port,
      target: config.target,
      revision: config.revision ?? null,
    })}\n`,
  );
  return app;
}
