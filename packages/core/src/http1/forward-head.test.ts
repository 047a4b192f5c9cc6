import { describe, expect, it } from 'vitest';
import type { ForwardEdits, HeaderList } from '../http/exchange.js';
import { HOP_BY_HOP } from '../http/hop-by-hop.js';
import { clientResponseHead, contentLengthLine, upstreamRequestHead } from './forward-head.js';
import { Head, findHeadEnd, parseRequestHead, parseResponseHead } from './head.js';
import { HEAD_ERROR_STATUS, localResponseHead, refusal } from './local-head.js';

function parsed(raw: string, parse: typeof parseRequestHead): Head {
  const buf = Buffer.from(raw, 'latin1');
  const h = new Head();
  expect(parse(h, buf, findHeadEnd(buf, 0))).toBeNull();
  return h;
}
const request = (raw: string): Head => parsed(raw, parseRequestHead);
const response = (raw: string): Head => parsed(raw, parseResponseHead);

const EDITS: ForwardEdits = { drop: new Set(['k-drop']), add: ['K-Add', '1'], appendXff: true };
const NO_XFF: ForwardEdits = { drop: new Set(), add: [], appendXff: false };
const REMOTE = '10.0.0.1';

interface UpCase {
  readonly name: string;
  readonly raw: string;
  readonly edits?: ForwardEdits;
  readonly host?: string;
  readonly extra?: HeaderList;
  readonly want: string;
}

const UP_CASES: readonly UpCase[] = [
  {
    name: 'a plain GET keeps its lines, then X-Forwarded-For and the added headers',
    raw: 'GET /p?q=1 HTTP/1.1\r\nHost: a.example\r\nUser-Agent: t\r\n\r\n',
    want: 'GET /p?q=1 HTTP/1.1\r\nHost: a.example\r\nUser-Agent: t\r\nX-Forwarded-For: 10.0.0.1\r\nK-Add: 1\r\n\r\n',
  },
  {
    name: 'a given host replaces the client\'s Host line',
    raw: 'GET / HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\n\r\n',
    host: 'rev.ns.svc',
    want: 'GET / HTTP/1.1\r\nAccept: */*\r\nHost: rev.ns.svc\r\nX-Forwarded-For: 10.0.0.1\r\nK-Add: 1\r\n\r\n',
  },
  {
    name: 'prior X-Forwarded-For values are joined, in order, before the client address',
    raw: 'GET / HTTP/1.1\r\nX-Forwarded-For: 1.1.1.1\r\nHost: h\r\nx-forwarded-for: 2.2.2.2, 3.3.3.3\r\n\r\n',
    want: 'GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2, 3.3.3.3, 10.0.0.1\r\nK-Add: 1\r\n\r\n',
  },
  {
    name: 'without appendXff, X-Forwarded-For lines pass verbatim',
    raw: 'GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\n\r\n',
    edits: NO_XFF,
    want: 'GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\n\r\n',
  },
  {
    name: 'hop-by-hop headers and the names Connection lists are dropped; Te: trailers is re-added',
    raw:
      'GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\n' +
      'Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic x\r\nProxy-Authenticate: Basic\r\n' +
      'TE: deflate, trailers\r\nTrailer: X-T\r\nX-Keep: k\r\n\r\n',
    edits: NO_XFF,
    want: 'GET / HTTP/1.1\r\nHost: h\r\nX-Keep: k\r\nTe: trailers\r\n\r\n',
  },
  {
    name: 'Upgrade and Expect (served here when there is no fallback) are not forwarded',
    raw: 'POST /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nUpgrade: websocket\r\nContent-Length: 2\r\n\r\n',
    edits: NO_XFF,
    want: 'POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n',
  },
  {
    name: 'Content-Length is re-emitted canonically, even when Connection lists it',
    raw: 'POST / HTTP/1.1\r\ncontent-length:   12  \r\nHost: h\r\nConnection: Content-Length\r\n\r\n',
    edits: NO_XFF,
    want: 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n',
  },
  {
    name: 'a chunked request leaves with exactly one canonical Transfer-Encoding',
    raw: 'POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\nHost: h\r\nConnection: transfer-encoding\r\n\r\n',
    edits: NO_XFF,
    want: 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n',
  },
  {
    name: 'edits.drop removes by lower-case name; extra headers come after edits.add',
    raw: 'GET / HTTP/1.1\r\nHost: h\r\nK-Drop: 1\r\nk-drop: 2\r\nX-Other: o\r\n\r\n',
    extra: ['K-Extra', 'e', 'K-Extra2', 'f'],
    want: 'GET / HTTP/1.1\r\nHost: h\r\nX-Other: o\r\nX-Forwarded-For: 10.0.0.1\r\nK-Add: 1\r\nK-Extra: e\r\nK-Extra2: f\r\n\r\n',
  },
  {
    name: 'header lines keep their bytes (case, spacing) as the client sent them',
    raw: 'OPTIONS * HTTP/1.1\r\nhOsT:h\r\nX-Spaced:   v  w \r\n\r\n',
    edits: NO_XFF,
    want: 'OPTIONS * HTTP/1.1\r\nhOsT:h\r\nX-Spaced:   v  w \r\n\r\n',
  },
];

describe('upstreamRequestHead', () => {
  it.each(UP_CASES)('$name', (c) => {
    const out = upstreamRequestHead(request(c.raw), c.edits ?? EDITS, c.host, c.extra, REMOTE);
    expect(out.toString('latin1')).toBe(c.want);
  });

  it.each([...HOP_BY_HOP].filter((n) => n !== 'transfer-encoding'))('drops the hop-by-hop header %s', (name) => {
    const raw = `GET / HTTP/1.1\r\nHost: h\r\n${name}: x\r\nX-After: a\r\n\r\n`;
    expect(upstreamRequestHead(request(raw), NO_XFF, undefined, undefined, REMOTE).toString('latin1')).toBe(
      'GET / HTTP/1.1\r\nHost: h\r\nX-After: a\r\n\r\n',
    );
  });

  it('builds the same bytes again for a head parsed into a reused Head', () => {
    const h = request('GET /a HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\n\r\n');
    const first = upstreamRequestHead(h, NO_XFF, undefined, undefined, REMOTE).toString('latin1');
    const buf = Buffer.from('GET /b HTTP/1.1\r\nHost: h\r\nConnection: x-a\r\nX-A: 1\r\n\r\n', 'latin1');
    expect(parseRequestHead(h, buf, findHeadEnd(buf, 0))).toBeNull();
    expect(upstreamRequestHead(h, NO_XFF, undefined, undefined, REMOTE).toString('latin1')).toBe('GET /b HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(first).toBe('GET /a HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\n\r\n');
  });
});

interface DownCase {
  readonly name: string;
  readonly raw: string;
  readonly close?: boolean;
  readonly rechunk?: boolean;
  readonly inline?: number;
  readonly want: string;
}

const DOWN_CASES: readonly DownCase[] = [
  {
    name: 'a small body rides in the same buffer as the head',
    raw: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
    inline: 5,
    want: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
  },
  {
    name: 'inline 0: the head alone',
    raw: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
    want: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n',
  },
  {
    name: 'close adds Connection: close after the framing',
    raw: 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nX-A: 1\r\n\r\n',
    close: true,
    want: 'HTTP/1.1 404 Not Found\r\nX-A: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
  },
  {
    name: 'hop-by-hop headers and listed names are dropped, Trailer kept, chunked re-emitted',
    raw:
      'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nX-Internal: 1\r\nKeep-Alive: timeout=5\r\n' +
      'Trailer: X-Sum\r\nTransfer-Encoding: chunked\r\nProxy-Authenticate: Basic\r\nUpgrade: h2c\r\nX-App: a\r\n\r\n',
    want: 'HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nX-App: a\r\nTransfer-Encoding: chunked\r\n\r\n',
  },
  {
    name: 'a response without framing is re-chunked',
    raw: 'HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n',
    rechunk: true,
    want: 'HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
  },
  {
    name: 'a repeated identical Content-Length leaves as one, even when Connection lists it',
    raw: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: Content-Length\r\ncontent-length: 3\r\n\r\nabc',
    inline: 3,
    want: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
  },
  {
    name: 'Host and X-Forwarded-For in a response are end-to-end',
    raw: 'HTTP/1.0 200 OK\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\nContent-Length: 0\r\n\r\n',
    want: 'HTTP/1.0 200 OK\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\nContent-Length: 0\r\n\r\n',
  },
];

describe('clientResponseHead', () => {
  it.each(DOWN_CASES)('$name', (c) => {
    const out = clientResponseHead(response(c.raw), c.close ?? false, c.rechunk ?? false, c.inline ?? 0);
    expect(out.toString('latin1')).toBe(c.want);
  });
});

describe('contentLengthLine', () => {
  it.each([0, 1, 65536, 2 ** 40])('%i', (n) => {
    expect(contentLengthLine(n)).toBe(`Content-Length: ${String(n)}\r\n`);
    expect(contentLengthLine(n)).toBe(`Content-Length: ${String(n)}\r\n`);
  });
});

describe('localResponseHead', () => {
  const date = 'Sat, 05 Dec 2026 17:00:00 GMT';
  it('status line, the given headers, Date and Content-Length', () => {
    expect(localResponseHead(504, ['Content-Type', 'text/plain; charset=utf-8', 'X-Kdp-Error', 'timeout'], false, date, 8)).toBe(
      'HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nX-Kdp-Error: timeout\r\n' +
        `Date: ${date}\r\nContent-Length: 8\r\n\r\n`,
    );
  });
  it('Connection: close before Date when the connection closes after it', () => {
    expect(localResponseHead(200, [], true, date, 0)).toBe(`HTTP/1.1 200 OK\r\nConnection: close\r\nDate: ${date}\r\nContent-Length: 0\r\n\r\n`);
  });
});

describe('refusal', () => {
  it('is a whole response that closes the connection', () => {
    expect(refusal('bare-lf')).toBe(
      'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nX-Kdp-Error: bad-request\r\n' +
        'Connection: close\r\nContent-Length: 24\r\n\r\n400 Bad Request: bare-lf',
    );
  });
  it.each([
    ['head-too-large', 'HTTP/1.1 431 Request Header Fields Too Large\r\n'],
    ['bad-transfer-encoding', 'HTTP/1.1 501 Not Implemented\r\n'],
    ['connect-not-supported', 'HTTP/1.1 405 Method Not Allowed\r\n'],
    ['bad-version', 'HTTP/1.1 505 HTTP Version Not Supported\r\n'],
    ['missing-host', 'HTTP/1.1 400 Bad Request\r\n'],
  ] as const)('%s → %j', (err, line) => {
    const out = refusal(err);
    expect(out.startsWith(line)).toBe(true);
    const body = out.slice(out.indexOf('\r\n\r\n') + 4);
    expect(body).toBe(`${line.slice(9, -2)}: ${err}`);
    expect(out).toContain(`\r\nContent-Length: ${String(body.length)}\r\n`);
    expect(HEAD_ERROR_STATUS[err]).toBe(Number(line.slice(9, 12)));
  });
});
