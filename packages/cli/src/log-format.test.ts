import { describe, expect, it } from 'vitest';
import { formatLogLine, prettyDestination } from './log-format.js';

const T = new Date(2026, 11, 5, 14, 3, 4, 567).getTime();
const base = { time: T, pid: 1, hostname: 'h', name: 'kdp' };

describe('pretty log lines', () => {
  it.each([
    [{ ...base, level: 30, msg: 'control plane started', routerUrl: 'http://127.0.0.1:8080', domain: 'localhost' },
      '14:03:04.567 INFO  control plane started routerUrl=http://127.0.0.1:8080 domain=localhost\n'],
    [{ ...base, level: 30, revision: 'default/hello-00001', pod: 'hello-00001-1', msg: 'revision ready' },
      '14:03:04.567 INFO  default/hello-00001 hello-00001-1 revision ready\n'],
    [{ ...base, level: 40, revision: 'default/x', msg: 'could not scale revision', desired: 2, err: { message: 'boom', stack: '…' } },
      '14:03:04.567 WARN  default/x could not scale revision desired=2 err="boom"\n'],
    [{ ...base, level: 50, msg: 'a b', detail: 'has space' }, '14:03:04.567 ERROR a b detail="has space"\n'],
    // A pod's own output, prefixed like docker compose; the queue-proxy's JSON unpacked.
    [{ ...base, level: 30, revision: 'default/hello-00001', pod: 'hello-00001-1', container: 'user-container', stream: 'stdout', msg: 'listening on 8080' },
      '14:03:04.567 hello-00001-1 app | listening on 8080\n'],
    [{ ...base, level: 30, revision: 'default/hello-00001', pod: 'hello-00001-1', container: 'queue-proxy', stream: 'stdout',
      msg: JSON.stringify({ level: 30, time: T, pid: 2, hostname: 'h', name: 'queue-proxy', msg: 'draining', quietMs: 1000 }) },
      '14:03:04.567 hello-00001-1 queue-proxy | INFO  draining quietMs=1000\n'],
  ])('%j', (obj, want) => {
    expect(formatLogLine(JSON.stringify(obj))).toBe(want);
  });

  it('passes a line that is not JSON through, and colours the level on a terminal', () => {
    expect(formatLogLine('plain text\n')).toBe('plain text\n');
    expect(formatLogLine(JSON.stringify({ ...base, level: 40, msg: 'w' }), true)).toBe('14:03:04.567 \u001b[33mWARN \u001b[0m w\n');
  });

  it('writes one formatted line per input line', () => {
    let out = '';
    const d = prettyDestination((t) => (out += t), false);
    d.write(`${JSON.stringify({ ...base, level: 30, msg: 'a' })}\n${JSON.stringify({ ...base, level: 30, msg: 'b' })}\n`);
    expect(out).toBe('14:03:04.567 INFO  a\n14:03:04.567 INFO  b\n');
  });
});
