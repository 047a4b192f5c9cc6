import { describe, expect, it } from 'vitest';
import { forwardedFromXff } from './forwarded.js';

type Row = [name: string, xff: string | undefined, xfh: string | undefined, xfp: string | undefined, want: string | undefined];

describe('forwardedFromXff', () => {
  // Knative pkg/queue/forwarded_shim_test.go#TestForwardedShimHandler. Its "existing fwd" case (a request that
  // already has Forwarded keeps it) is the caller's rule and is tested where the shim is wired.
  it.each<Row>([
    ['multiple xff', '127.0.0.1, ::1', 'h', 'p', 'for=127.0.0.1;host=h;proto=p, for="[::1]"'],
    ['single xff', '127.0.0.1', 'h', 'p', 'for=127.0.0.1;host=h;proto=p'],
    ['multiple xff, no xfh, no xfp', '127.0.0.1, ::1', undefined, undefined, 'for=127.0.0.1, for="[::1]"'],
    ['multiple xff, no xfh', '127.0.0.1, ::1', undefined, 'p', 'for=127.0.0.1;proto=p, for="[::1]"'],
    ['multiple xff, no xfp', '127.0.0.1, ::1', 'h', undefined, 'for=127.0.0.1;host=h, for="[::1]"'],
    ['only xfh', undefined, 'h', undefined, 'host=h'],
    ['only xfp', undefined, undefined, 'p', 'proto=p'],
    ['only xfp and xfh', undefined, 'h', 'p', 'host=h;proto=p'],
  ])('TestForwardedShimHandler: %s', (_name, xff, xfh, xfp, want) => {
    expect(forwardedFromXff(xff, xfh, xfp)).toBe(want);
  });

  // Edges, each checked against Go's generateForwarded by reading its code.
  it.each<Row>([
    ['nothing', undefined, undefined, undefined, undefined],
    ['all empty (Go Header.Get cannot tell empty from absent)', '', '', '', undefined],
    ['empty xff, xfh set', '', 'h', undefined, 'host=h'],
    ['IPv6 first node', '::1', undefined, 'https', 'for="[::1]";proto=https'],
    ['IPv4 with port is quoted too', '10.0.0.1:1234', undefined, undefined, 'for="[10.0.0.1:1234]"'],
    ['spaces around nodes are trimmed', '  a ,b  ,  c', undefined, undefined, 'for=a, for=b, for=c'],
    ['no space after commas', 'a,b', undefined, undefined, 'for=a, for=b'],
    ['trailing comma adds no node', 'a,', undefined, undefined, 'for=a'],
    ['trailing comma and space adds an empty node', 'a, ', undefined, undefined, 'for=a, for='],
    ['inner empty node', 'a,,b', undefined, undefined, 'for=a, for=, for=b'],
    ['XFF of spaces only: Go omits the separator', '  ', 'h', 'p', 'for=host=h;proto=p'],
    ['leading comma: empty first node', ',a', undefined, 'p', 'for=proto=p, for=a'],
  ])('%s', (_name, xff, xfh, xfp, want) => {
    expect(forwardedFromXff(xff, xfh, xfp)).toBe(want);
  });
});
