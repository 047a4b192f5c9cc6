/**
 * The differential corpus (issue 7): raw request bytes, malformed and smuggling-style, each run against node:http
 * directly and through kdp. `framing: true` marks inputs where request boundaries are at stake: there kdp must
 * accept no more requests than node:http does. Elsewhere (a method node:http does not know, a head larger than
 * its 16 KiB, ...) kdp may accept more, provided the app behind it reads exactly what kdp forwarded.
 *
 * Strings are latin1: one char, one byte.
 */

export interface CorpusEntry {
  readonly id: string;
  readonly group: string;
  readonly framing: boolean;
  readonly raw: Buffer;
}

const entries: CorpusEntry[] = [];
const ids = new Set<string>();

function add(group: string, id: string, raw: string, framing = true): void {
  const full = `${group}/${id}`;
  if (ids.has(full)) throw new Error(`duplicate corpus id ${full}`);
  ids.add(full);
  entries.push({ id: full, group, framing, raw: Buffer.from(raw, 'latin1') });
}

/** A valid request to follow a malformed one on the same connection (the pipelining pairs). */
export const NEXT = 'GET /next HTTP/1.1\r\nHost: h\r\n\r\n';
const H = 'Host: h\r\n';
const post = (headers: string, body: string, target = '/p'): string => `POST ${target} HTTP/1.1\r\n${H}${headers}\r\n${body}`;
const get = (headers: string, target = '/g'): string => `GET ${target} HTTP/1.1\r\n${H}${headers}\r\n`;
const chunked = (body: string, extra = ''): string => post(`Transfer-Encoding: chunked\r\n${extra}`, body);

// ---------------------------------------------------------------- valid baselines (both must accept, and agree)
add('baseline', 'get', get(''), false);
add('baseline', 'get-pipelined-3', get('', '/a') + get('', '/b') + get('', '/c'), false);
add('baseline', 'post-cl', post('Content-Length: 5\r\n', 'hello'), false);
add('baseline', 'post-cl-0', post('Content-Length: 0\r\n', ''), false);
add('baseline', 'post-chunked', chunked('5\r\nhello\r\n0\r\n\r\n'), false);
add('baseline', 'post-chunked-multi', chunked('1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n'), false);
add('baseline', 'post-cl-then-get', post('Content-Length: 5\r\n', 'hello') + NEXT, false);
add('baseline', 'post-chunked-then-get', chunked('5\r\nhello\r\n0\r\n\r\n') + NEXT, false);
add('baseline', 'connection-close', get('Connection: close\r\n'), false);

// ---------------------------------------------------------------- Content-Length / Transfer-Encoding conflicts
add('cl-te', 'cl-then-te', post('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n') + NEXT);
add('cl-te', 'te-then-cl', post('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n', '0\r\n\r\n') + NEXT);
add('cl-te', 'cl-then-te-smuggle', post('Content-Length: 4\r\nTransfer-Encoding: chunked\r\n', '5c\r\nGPOST /smug HTTP/1.1\r\n\r\n0\r\n\r\n'));
add('cl-te', 'duplicate-identical-cl', post('Content-Length: 5\r\nContent-Length: 5\r\n', 'hello') + NEXT);
add('cl-te', 'conflicting-cl', post('Content-Length: 5\r\nContent-Length: 6\r\n', 'hello!') + NEXT);
add('cl-te', 'cl-list-same', post('Content-Length: 5, 5\r\n', 'hello') + NEXT);
add('cl-te', 'cl-list-different', post('Content-Length: 5, 6\r\n', 'hello!') + NEXT);
add('cl-te', 'cl-leading-zeros', post('Content-Length: 005\r\n', 'hello') + NEXT);
add('cl-te', 'cl-plus', post('Content-Length: +5\r\n', 'hello') + NEXT);
add('cl-te', 'cl-negative', post('Content-Length: -1\r\n', '') + NEXT);
add('cl-te', 'cl-hex', post('Content-Length: 0x5\r\n', 'hello') + NEXT);
add('cl-te', 'cl-inner-space', post('Content-Length: 5 5\r\n', 'hello') + NEXT);
add('cl-te', 'cl-empty', post('Content-Length:\r\n', '') + NEXT);
add('cl-te', 'cl-huge', post('Content-Length: 99999999999999999999\r\n', 'x') + NEXT);
add('cl-te', 'cl-space-before-colon', post('Content-Length : 5\r\n', 'hello') + NEXT);
add('cl-te', 'cl-tab-before-colon', post('Content-Length\t: 5\r\n', 'hello') + NEXT);
add('cl-te', 'cl-no-space-after-colon', post('Content-Length:5\r\n', 'hello') + NEXT, false);
add('cl-te', 'cl-trailing-space', post('Content-Length: 5 \r\n', 'hello') + NEXT, false);
add('cl-te', 'cl-on-get-with-body', get('Content-Length: 5\r\n') + 'hello' + NEXT);
add('cl-te', 'cl-body-is-a-request', post('Content-Length: 31\r\n', 'GET /smug HTTP/1.1\r\nHost: x\r\n\r\n'));
add('cl-te', 'cl-uppercase-name', post('CONTENT-LENGTH: 5\r\n', 'hello') + NEXT, false);
// Not a Content-Length: both read `helloGET` as the next method; an unknown method is not a boundary question.
add('cl-te', 'cl-underscore-name', post('Content_Length: 5\r\n', 'hello') + NEXT, false);

// ---------------------------------------------------------------- Transfer-Encoding variants
const teBody = '5\r\nhello\r\n0\r\n\r\n';
add('te', 'chunked-identity', post('Transfer-Encoding: chunked, identity\r\n', teBody) + NEXT);
add('te', 'identity-chunked', post('Transfer-Encoding: identity, chunked\r\n', teBody) + NEXT);
add('te', 'Chunked', post('Transfer-Encoding: Chunked\r\n', teBody) + NEXT);
add('te', 'CHUNKED', post('Transfer-Encoding: CHUNKED\r\n', teBody) + NEXT);
add('te', 'chunked-trailing-space', post('Transfer-Encoding: chunked \r\n', teBody) + NEXT);
add('te', 'chunked-trailing-tab', post('Transfer-Encoding: chunked\t\r\n', teBody) + NEXT);
add('te', 'chunked-leading-tab', post('Transfer-Encoding:\tchunked\r\n', teBody) + NEXT);
add('te', 'chunked-vertical-tab', post('Transfer-Encoding: \x0bchunked\r\n', teBody) + NEXT);
add('te', 'chunked-comma', post('Transfer-Encoding: chunked,\r\n', teBody) + NEXT);
add('te', 'chunked-chunked', post('Transfer-Encoding: chunked, chunked\r\n', teBody) + NEXT);
add('te', 'gzip-chunked', post('Transfer-Encoding: gzip, chunked\r\n', teBody) + NEXT);
add('te', 'two-te-headers', post('Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n', teBody) + NEXT);
add('te', 'two-te-chunked', post('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', teBody) + NEXT);
add('te', 'identity-only', post('Transfer-Encoding: identity\r\n', 'hello') + NEXT);
add('te', 'identity-with-cl', post('Transfer-Encoding: identity\r\nContent-Length: 5\r\n', 'hello') + NEXT);
add('te', 'xchunked', post('Transfer-Encoding: xchunked\r\n', teBody) + NEXT);
add('te', 'chunked-param', post('Transfer-Encoding: chunked;q=1\r\n', teBody) + NEXT);
add('te', 'chunked-then-gzip', post('Transfer-Encoding: chunked, gzip\r\n', teBody) + NEXT);
add('te', 'te-space-before-colon', post('Transfer-Encoding : chunked\r\n', teBody) + NEXT);
add('te', 'te-obs-fold', post('Transfer-Encoding: identity\r\n chunked\r\n', teBody) + NEXT);
add('te', 'te-on-http10', `POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n${teBody}`);
add('te', 'te-on-http10-keepalive', `POST /p HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n${teBody}${NEXT}`);
add('te', 'te-on-get', get('Transfer-Encoding: chunked\r\n') + teBody + NEXT);

// ---------------------------------------------------------------- Connection naming framing headers (issue 7 #1)
add('connection', 'names-content-length', post('Connection: Content-Length\r\nContent-Length: 31\r\n', 'GET /smug HTTP/1.1\r\nHost: x\r\n\r\n'));
add('connection', 'names-content-length-lower', post('Connection: content-length\r\nContent-Length: 31\r\n', 'GET /smug HTTP/1.1\r\nHost: x\r\n\r\n'));
add('connection', 'names-cl-and-close', post('Connection: keep-alive, Content-Length\r\nContent-Length: 31\r\n', 'GET /smug HTTP/1.1\r\nHost: x\r\n\r\n'));
add('connection', 'names-transfer-encoding', chunked('1f\r\nGET /smug HTTP/1.1\r\nHost: x\r\n\r\n\r\n0\r\n\r\n', 'Connection: Transfer-Encoding\r\n'));
add('connection', 'names-transfer-encoding-then-get', chunked('5\r\nhello\r\n0\r\n\r\n', 'Connection: transfer-encoding\r\n') + NEXT);
add('connection', 'names-host', get('Connection: Host\r\n') + NEXT);
add('connection', 'names-x-custom', get('Connection: X-Drop\r\nX-Drop: 1\r\n') + NEXT, false);
add('connection', 'names-content-length-two-headers', post('Connection: close\r\nConnection: Content-Length\r\nContent-Length: 5\r\n', 'hello') + NEXT);

// ---------------------------------------------------------------- whitespace and control bytes in the head
add('ctl', 'space-in-name', get('Bad Name: 1\r\n') + NEXT);
add('ctl', 'tab-in-name', get('Bad\tName: 1\r\n') + NEXT);
add('ctl', 'nul-in-name', get('Bad\x00Name: 1\r\n') + NEXT);
add('ctl', 'nul-in-value', get('X-A: a\x00b\r\n') + NEXT);
add('ctl', 'soh-in-value', get('X-A: a\x01b\r\n') + NEXT);
add('ctl', 'del-in-value', get('X-A: a\x7fb\r\n') + NEXT);
add('ctl', 'vt-in-value', get('X-A: a\x0bb\r\n') + NEXT);
add('ctl', 'ff-in-value', get('X-A: a\x0cb\r\n') + NEXT);
add('ctl', 'esc-in-value', get('X-A: a\x1bb\r\n') + NEXT);
add('ctl', 'bare-cr-in-value', get('X-A: a\rb\r\n') + NEXT);
add('ctl', 'obs-text-in-value', get('X-A: caf\xe9\r\n') + NEXT, false);
add('ctl', 'tab-in-value', get('X-A: a\tb\r\n') + NEXT, false);
add('ctl', 'empty-name', get(': x\r\n') + NEXT);
add('ctl', 'no-colon', get('NoColon\r\n') + NEXT);
add('ctl', 'empty-value', get('X-Empty:\r\n') + NEXT, false);
add('ctl', 'whitespace-value', get('X-Empty:   \r\n') + NEXT, false);
add('ctl', 'colon-in-name-value', get('X-A:: b\r\n') + NEXT, false);
add('ctl', 'non-ascii-name', get('X-\xe9: 1\r\n') + NEXT);
add('ctl', 'name-with-slash', get('X/A: 1\r\n') + NEXT);
add('ctl', 'double-space-in-request-line', 'GET  /g HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT);
add('ctl', 'tab-in-request-line', 'GET\t/g HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT);
add('ctl', 'trailing-space-after-version', 'GET /g HTTP/1.1 \r\nHost: h\r\n\r\n' + NEXT);
add('ctl', 'leading-space-before-method', ' GET /g HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT);
add('ctl', 'leading-crlf', '\r\nGET /g HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT, false);
add('ctl', 'nul-in-target', 'GET /g\x00x HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT);
add('ctl', 'soh-in-method', 'G\x01T /g HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT);

// ---------------------------------------------------------------- obs-fold
add('obs-fold', 'in-custom-header', get('X-A: 1\r\n  folded\r\n') + NEXT);
add('obs-fold', 'tab-fold', get('X-A: 1\r\n\tfolded\r\n') + NEXT);
add('obs-fold', 'in-host', `GET /g HTTP/1.1\r\nHost: h\r\n x\r\n\r\n${NEXT}`);
add('obs-fold', 'in-content-length', post('Content-Length: 5\r\n 0\r\n', 'hello') + NEXT);
add('obs-fold', 'first-header-line', `GET /g HTTP/1.1\r\n X-A: 1\r\n${H}\r\n${NEXT}`);
add('obs-fold', 'fold-hides-cl', post('X-A: 1\r\n Content-Length: 5\r\n', 'hello') + NEXT);

// ---------------------------------------------------------------- line endings
add('eol', 'bare-lf-everywhere', 'GET /x HTTP/1.1\nHost: h\n\n');
add('eol', 'bare-lf-end-only', 'GET /x HTTP/1.1\r\nHost: h\r\n\n');
add('eol', 'bare-lf-start-line', 'GET /x HTTP/1.1\nHost: h\r\n\r\n');
add('eol', 'bare-lf-header', 'GET /x HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n');
add('eol', 'bare-cr-everywhere', 'GET /x HTTP/1.1\rHost: h\r\r');
add('eol', 'bare-cr-header', 'GET /x HTTP/1.1\r\nHost: h\rX-A: 1\r\n\r\n');
add('eol', 'cr-cr-lf', 'GET /x HTTP/1.1\r\r\nHost: h\r\n\r\n');
add('eol', 'lf-cr-lf', 'GET /x HTTP/1.1\r\nHost: h\n\r\n');
add('eol', 'bare-lf-then-valid', `GET /x HTTP/1.1\nHost: h\n\n${NEXT}`);
add('eol', 'valid-then-bare-lf', `${NEXT}GET /x HTTP/1.1\nHost: h\n\n`);
add('eol', 'bare-lf-end-then-valid', `GET /x HTTP/1.1\r\nHost: h\r\n\n${NEXT}`);
add('eol', 'bare-lf-post-cl', 'POST /p HTTP/1.1\nHost: h\nContent-Length: 5\n\nhello');
add('eol', 'bare-lf-hides-cl', post('X-A: 1\nContent-Length: 5\r\n', 'hello') + NEXT);

// ---------------------------------------------------------------- chunk sizes
const cz = (size: string, data = 'hello'): string => chunked(`${size}\r\n${data}\r\n0\r\n\r\n`) + NEXT;
add('chunk-size', 'space-after', cz('5 '));
add('chunk-size', 'tab-after', cz('5\t'));
add('chunk-size', 'space-before', cz(' 5'));
add('chunk-size', 'ext', cz('5;ext'), false);
add('chunk-size', 'ext-value', cz('5;ext=val'), false);
add('chunk-size', 'ext-quoted', cz('5;ext="a b"'), false);
add('chunk-size', 'space-then-ext', cz('5 ;ext'));
add('chunk-size', 'ext-ctl', cz('5;ext=\x01'));
add('chunk-size', 'ext-nul', cz('5;e\x00x'));
add('chunk-size', 'ext-bare-lf', chunked('5;ext\nhello\r\n0\r\n\r\n') + NEXT);
add('chunk-size', 'ext-bare-cr', cz('5;e\rx'));
add('chunk-size', 'leading-zeros', cz('0005'), false);
add('chunk-size', 'many-leading-zeros', cz(`${'0'.repeat(40)}5`), false);
add('chunk-size', 'hex-0x', cz('0x5'));
add('chunk-size', 'negative', cz('-5'));
add('chunk-size', 'plus', cz('+5'));
add('chunk-size', 'upper-hex', cz('A', 'helloworld'), false);
add('chunk-size', 'lower-hex', cz('a', 'helloworld'), false);
add('chunk-size', 'overflow-64', chunked('ffffffffffffffffff\r\nhello\r\n0\r\n\r\n') + NEXT);
add('chunk-size', 'overflow-wraps-to-5', chunked('10000000000000005\r\nhello\r\n0\r\n\r\n') + NEXT);
add('chunk-size', 'huge-2-40', chunked('10000000001\r\nx\r\n0\r\n\r\n') + NEXT);
add('chunk-size', 'empty-size-line', chunked('\r\nhello\r\n0\r\n\r\n') + NEXT);
add('chunk-size', 'underscore', cz('0_5'));
add('chunk-size', 'non-hex', cz('g'));
add('chunk-size', 'size-larger-than-data', chunked('6\r\nhello\r\n0\r\n\r\n') + NEXT);
add('chunk-size', 'size-smaller-than-data', chunked('4\r\nhello\r\n0\r\n\r\n') + NEXT);
add('chunk-size', 'last-chunk-00', chunked('5\r\nhello\r\n00\r\n\r\n') + NEXT, false);
add('chunk-size', 'last-chunk-ext', chunked('5\r\nhello\r\n0;done\r\n\r\n') + NEXT, false);
add('chunk-size', 'last-chunk-space', chunked('5\r\nhello\r\n0 \r\n\r\n') + NEXT);

// ---------------------------------------------------------------- chunk terminators
add('chunk-end', 'data-no-crlf', chunked('5\r\nhelloXX0\r\n\r\n') + NEXT);
add('chunk-end', 'data-bare-lf', chunked('5\r\nhello\n0\r\n\r\n') + NEXT);
add('chunk-end', 'data-bare-cr', chunked('5\r\nhello\r0\r\n\r\n') + NEXT);
add('chunk-end', 'size-bare-lf', chunked('5\nhello\r\n0\r\n\r\n') + NEXT);
add('chunk-end', 'last-bare-lf', chunked('5\r\nhello\r\n0\n\n') + NEXT);
add('chunk-end', 'end-bare-lf', chunked('5\r\nhello\r\n0\r\n\n') + NEXT);
add('chunk-end', 'end-cr-garbage', chunked('5\r\nhello\r\n0\r\n\rX') + NEXT);
add('chunk-end', 'end-missing-final-crlf', chunked('5\r\nhello\r\n0\r\n') + NEXT);
add('chunk-end', 'smuggle-after-bare-lf', chunked('5\r\nhello\r\n0\r\n\nGET /smug HTTP/1.1\r\nHost: x\r\n\r\n'));

// ---------------------------------------------------------------- trailers
const tr = (trailers: string): string => chunked(`5\r\nhello\r\n0\r\n${trailers}\r\n`) + NEXT;
add('trailer', 'valid', tr('X-T: 1\r\n'), false);
add('trailer', 'two-valid', tr('X-T: 1\r\nX-U: 2\r\n'), false);
add('trailer', 'no-colon', tr('NoColon\r\n'));
add('trailer', 'obs-fold', tr('X-T: 1\r\n folded\r\n'));
add('trailer', 'nul', tr('X-T: a\x00b\r\n'));
add('trailer', 'ctl', tr('X-T: a\x01b\r\n'));
add('trailer', 'space-before-colon', tr('X-T : 1\r\n'));
add('trailer', 'space-in-name', tr('X T: 1\r\n'));
add('trailer', 'content-length', tr('Content-Length: 5\r\n'));
add('trailer', 'transfer-encoding', tr('Transfer-Encoding: chunked\r\n'));
add('trailer', 'host', tr('Host: evil\r\n'));
add('trailer', 'bare-lf', chunked('5\r\nhello\r\n0\r\nX-T: 1\n\r\n') + NEXT);
add('trailer', 'bare-cr', tr('X-T: a\rb\r\n'));
add('trailer', 'empty-name', tr(': x\r\n'));
add('trailer', 'request-line-as-trailer', tr('GET /smug HTTP/1.1\r\n'));
add('trailer', 'many', tr(Array.from({ length: 50 }, (_, i) => `X-T${String(i)}: ${String(i)}\r\n`).join('')), false);

// ---------------------------------------------------------------- methods
add('method', 'unknown', 'FOO /m HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT, false);
add('method', 'lowercase', 'get /m HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT, false);
add('method', 'mixed-case', 'Get /m HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT, false);
add('method', 'connect', 'CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n', false);
add('method', 'connect-with-body', 'CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\nContent-Length: 5\r\n\r\nhello' + NEXT);
add('method', 'connect-origin-form', 'CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT);
add('method', 'get-with-cl-body', get('Content-Length: 5\r\n') + 'hello' + NEXT, false);
add('method', 'get-with-chunked-body', get('Transfer-Encoding: chunked\r\n') + teBody + NEXT, false);
add('method', 'delete-with-body', 'DELETE /d HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello' + NEXT, false);
add('method', 'options-asterisk', 'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT, false);
add('method', 'pri-not-preface', 'PRI /x HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT, false);
add('method', 'm-search', 'M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT, false);
add('method', 'non-token', 'GE(T /m HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT);
add('method', 'long-unknown', `${'X'.repeat(200)} /m HTTP/1.1\r\nHost: h\r\n\r\n${NEXT}`, false);
add('method', 'patch-chunked', 'PATCH /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n' + teBody + NEXT, false);
add('method', 'post-no-length', 'POST /p HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT, false);
add('method', 'bodiless-post-keepalive-pair', 'POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n' + NEXT, false);

// ---------------------------------------------------------------- request-targets
const tg = (t: string): string => `GET ${t} HTTP/1.1\r\nHost: h\r\n\r\n${NEXT}`;
add('target', 'no-leading-slash', tg('x'));
add('target', 'no-leading-slash-query', tg('x?y=1'));
add('target', 'absolute-form', tg('http://h/abs'), false);
add('target', 'absolute-form-other-host', tg('http://other.example/abs'), false);
add('target', 'asterisk-get', tg('*'));
add('target', 'raw-latin1', tg('/caf\xe9'));
add('target', 'raw-utf8', tg('/caf\xc3\xa9'));
add('target', 'raw-del', tg('/a\x7fb'));
add('target', 'space-inside', 'GET /a b HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT);
add('target', 'tab-inside', tg('/a\tb'));
add('target', 'fragment', tg('/a#frag'), false);
add('target', 'double-slash', tg('//double'), false);
add('target', 'authority-form-on-get', tg('h:80'));
add('target', 'percent-nul', tg('/a%00b'), false);
add('target', 'backslash', tg('/a\\b'), false);
add('target', 'quote-brace', tg('/a"{}|^`'), false);
add('target', 'long-8k', tg(`/${'a'.repeat(8192)}`), false);
add('target', 'empty', 'GET  HTTP/1.1\r\nHost: h\r\n\r\n' + NEXT);

// ---------------------------------------------------------------- versions
add('version', 'http10-no-host', 'GET /v HTTP/1.0\r\n\r\n', false);
add('version', 'http10-keepalive-pair', `GET /v HTTP/1.0\r\nConnection: keep-alive\r\n\r\n${NEXT}`, false);
add('version', 'http10-post-keepalive-pair', `POST /v HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello${NEXT}`, false);
add('version', 'http10-post-no-length', 'POST /v HTTP/1.0\r\n\r\nhello', false);
add('version', 'http20', 'GET /v HTTP/2.0\r\nHost: h\r\n\r\n' + NEXT);
add('version', 'http110', 'GET /v HTTP/1.10\r\nHost: h\r\n\r\n' + NEXT);
add('version', 'http12', 'GET /v HTTP/1.2\r\nHost: h\r\n\r\n' + NEXT);
add('version', 'lowercase', 'GET /v http/1.1\r\nHost: h\r\n\r\n' + NEXT);
add('version', 'http09-no-version', 'GET /v\r\nHost: h\r\n\r\n' + NEXT);
add('version', 'leading-zero', 'GET /v HTTP/01.1\r\nHost: h\r\n\r\n' + NEXT);
add('version', 'suffix', 'GET /v HTTP/1.1x\r\nHost: h\r\n\r\n' + NEXT);
add('version', 'http30', 'GET /v HTTP/3.0\r\nHost: h\r\n\r\n' + NEXT);

// ---------------------------------------------------------------- Host
add('host', 'missing', 'GET /h HTTP/1.1\r\nX-A: 1\r\n\r\n' + NEXT);
add('host', 'two', 'GET /h HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n' + NEXT);
add('host', 'empty', 'GET /h HTTP/1.1\r\nHost:\r\n\r\n' + NEXT, false);
add('host', 'with-space', 'GET /h HTTP/1.1\r\nHost: a b\r\n\r\n' + NEXT, false);
add('host', 'two-identical', 'GET /h HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n' + NEXT);

// ---------------------------------------------------------------- Expect / Upgrade (fallback engine)
add('fallback', 'expect-100-post', post('Expect: 100-continue\r\nContent-Length: 5\r\n', 'hello') + NEXT, false);
add('fallback', 'expect-unknown', post('Expect: nope\r\nContent-Length: 5\r\n', 'hello') + NEXT, false);
add('fallback', 'upgrade-without-key', get('Connection: Upgrade\r\nUpgrade: websocket\r\n') + NEXT, false);
add('fallback', 'upgrade-post-body', post('Connection: Upgrade\r\nUpgrade: foo\r\nContent-Length: 5\r\n', 'hello') + NEXT, false);
add('fallback', 'identity-chunked-then-get', post('Transfer-Encoding: identity, chunked\r\n', '5\r\nhello\r\n0\r\n\r\n') + get('', '/after'));

// ---------------------------------------------------------------- sizes
const big = (n: number): string => `X-Big: ${'a'.repeat(n)}\r\n`;
const manyHeaders = (n: number): string => Array.from({ length: n }, (_, i) => `X-H${String(i)}: ${String(i)}\r\n`).join('');
add('size', 'head-15k', get(big(15 * 1024)) + NEXT, false);
add('size', 'head-17k', get(big(17 * 1024)) + NEXT, false);
add('size', 'head-63k', get(big(63 * 1024)) + NEXT, false);
add('size', 'head-65k', get(big(65 * 1024)) + NEXT, false);
add('size', 'head-100k', get(big(100 * 1024)) + NEXT, false);
add('size', 'headers-100', get(manyHeaders(100)) + NEXT, false);
add('size', 'headers-127', get(manyHeaders(126)) + NEXT, false);
add('size', 'headers-129', get(manyHeaders(129)) + NEXT, false);
add('size', 'headers-2100', get(manyHeaders(2100)) + NEXT, false);
add('size', 'body-1m-cl', post(`Content-Length: ${String(1 << 20)}\r\n`, 'b'.repeat(1 << 20)) + NEXT, false);
add('size', 'body-256k-chunked', chunked(`40000\r\n${'c'.repeat(0x40000)}\r\n0\r\n\r\n`) + NEXT, false);

export const CORPUS: readonly CorpusEntry[] = entries;
