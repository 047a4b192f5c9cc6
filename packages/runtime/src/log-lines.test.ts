import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineRing, LineSplitter, pipeLines } from './log-lines.js';

function split(chunks: string[], max = 10): string[] {
  const out: string[] = [];
  const s = new LineSplitter(max, (l) => out.push(l));
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe('LineSplitter', () => {
  it.each<[string, string[], string[]]>([
    ['one line', ['abc\n'], ['abc']],
    ['CRLF', ['a\r\nb\r\n'], ['a', 'b']],
    ['split across chunks', ['ab', 'c\nd', 'e\n'], ['abc', 'de']],
    ['final line without newline', ['a\nb'], ['a', 'b']],
    ['empty lines kept', ['\n\n'], ['', '']],
    ['long line in one chunk is cut', ['0123456789abc\nx\n'], ['0123456789 …[truncated]', 'x']],
    ['long line over chunks is cut once, rest dropped', ['01234567', '89abcdef', 'ghij\nx\n'], ['0123456789 …[truncated]', 'x']],
  ])('%s', (_name, chunks, want) => {
    expect(split(chunks)).toEqual(want);
  });
});

describe('LineRing', () => {
  it.each<[number, string[], string[]]>([
    [3, [], []],
    [3, ['a', 'b'], ['a', 'b']],
    [3, ['a', 'b', 'c', 'd', 'e'], ['c', 'd', 'e']],
    [0, ['a'], []],
  ])('capacity %i after %j holds %j', (cap, pushes, want) => {
    const r = new LineRing(cap);
    for (const p of pushes) r.push(p);
    expect(r.toArray()).toEqual(want);
  });
});

describe('pipeLines', () => {
  it('splits a byte stream, including multi-byte characters cut between chunks', async () => {
    const s = new PassThrough();
    const lines: string[] = [];
    pipeLines(s, 100, (l) => lines.push(l));
    const bytes = Buffer.from('héllo\nwörld\n');
    s.write(bytes.subarray(0, 2));
    s.write(bytes.subarray(2, 9));
    s.end(bytes.subarray(9));
    await new Promise((r) => s.on('end', r));
    expect(lines).toEqual(['héllo', 'wörld']);
  });
});
