import { ConfigError, KDP_ERRORS, KdpBaseError, type KdpErrorCode } from '@kdp/core';
import { describe, expect, it } from 'vitest';
import { ApiError } from './api-errors.js';
import { CliError, UsageError } from './args.js';
import { run } from './cli.js';
import { serveConfig } from './config.js';
import { ApiStatusError, BodyTooLargeError, ServerUnreachableError } from './client.js';
import type { Io } from './io.js';
import { InvalidObjectError } from './objects/service-input.js';
import { StoreError } from './store.js';

describe('cli errors in the kdp lineage', () => {
  it.each<[string, () => KdpBaseError, KdpErrorCode, number | undefined]>([
    ['CliError', () => new CliError('no such service'), 'KDP_ERR_CLI', 1],
    ['UsageError', () => new UsageError("'kdp service create' requires NAME", 'service create'), 'KDP_ERR_USAGE', 2],
    ['ServerUnreachableError', () => new ServerUnreachableError('http://127.0.0.1:1'), 'KDP_ERR_SERVER_UNREACHABLE', 1],
    ['BodyTooLargeError', () => new BodyTooLargeError(2_000_000), 'KDP_ERR_BODY_TOO_LARGE', 1],
    ['ApiStatusError', () => new ApiStatusError('services.serving.knative.dev "x" not found', 404, 'NotFound'), 'KDP_ERR_API', 1],
    ['ApiError', () => new ApiError(409, 'Conflict', 'the object has been modified'), 'KDP_ERR_API', undefined],
    ['StoreError', () => new StoreError('state.json: unexpected format'), 'KDP_ERR_STORE', undefined],
    ['InvalidObjectError', () => new InvalidObjectError([{ message: 'missing field(s)', paths: ['spec'] }]), 'KDP_ERR_INVALID', undefined],
  ])('%s: name, catalogued code, exit code', (name, make, code, exitCode) => {
    const e = make();
    expect(e).toBeInstanceOf(KdpBaseError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe(name);
    expect(e.code).toBe(code);
    expect(Object.hasOwn(KDP_ERRORS, e.code)).toBe(true);
    if (exitCode === undefined) expect(e).not.toBeInstanceOf(CliError);
    else expect((e as CliError).exitCode).toBe(exitCode);
  });

  it('keeps the messages and statuses the commands and the API print', () => {
    expect(new ServerUnreachableError('http://127.0.0.1:1').message).toBe(
      'cannot reach kdp server at http://127.0.0.1:1 — start it with `npm start`',
    );
    expect(new InvalidObjectError([]).message).toBe('validation failed');
    expect(new InvalidObjectError([]).status).toBe(400);
    expect(new ApiError(409, 'Conflict', 'm').status).toBe(409);
  });
});

describe('kdp serve: invalid configuration is worded by ConfigError', () => {
  it('prints one `kdp: invalid kdp serve configuration:` line, then one line per problem, and exits 1', async () => {
    let err = '';
    const io: Io = {
      out: () => undefined,
      err: (t) => {
        err += t;
      },
      now: () => 0,
      sleep: () => Promise.resolve(),
      cwd: '/',
      env: { KDP_API_ALLOWED_HOSTS: 'a b' },
      readText: () => Promise.reject(new Error('unused')),
    };
    const code = await run(['serve', '--eventing-sync', 'sometimes'], io);
    expect(code).toBe(1);
    expect(err).toBe(
      'kdp: invalid kdp serve configuration:\n' +
        '  --eventing-sync: "sometimes": expected full or normal\n' +
        '  KDP_API_ALLOWED_HOSTS: "a b" is not a host name (no port, no scheme; IPv6 in brackets)\n',
    );
  });

  it('throws the CliError `kdp` exits 1 with, caused by a ConfigError holding the lines', () => {
    let caught: unknown;
    try {
      serveConfig({}, { KDP_API_ALLOWED_HOSTS: 'a b' }, '/');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliError);
    const cause = (caught as CliError).cause;
    expect(cause).toBeInstanceOf(ConfigError);
    expect((cause as ConfigError).lines).toEqual(['KDP_API_ALLOWED_HOSTS: "a b" is not a host name (no port, no scheme; IPv6 in brackets)']);
    expect((caught as CliError).message).toBe((cause as ConfigError).message);
  });
});
