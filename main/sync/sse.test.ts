import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser, type ServerSentEvent } from './sse.js';

const encoder = new TextEncoder();

/** Feeds `text` to a new parser cut at `cuts` (byte offsets); answers every event. */
function parseInChunks(text: string, cuts: readonly number[]): ServerSentEvent[] {
  const bytes = encoder.encode(text);
  const parser = new SseParser();
  const events: ServerSentEvent[] = [];
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    events.push(...parser.push(bytes.subarray(start, cut)));
    start = cut;
  }
  events.push(...parser.push(bytes.subarray(start)));
  return events;
}

const data = (events: readonly ServerSentEvent[]) => events.map((event) => event.data);

describe('SseParser', () => {
  it.each([
    ['one event', 'data: {"type":"RESYNC"}\n\n', ['{"type":"RESYNC"}']],
    ['two events', 'data: a\n\ndata: b\n\n', ['a', 'b']],
    ['multi-line data joined with LF', 'data: one\ndata: two\ndata:three\n\n', ['one\ntwo\nthree']],
    ['comments ignored', ': keep-alive\n\n: x\ndata: a\n: y\n\n', ['a']],
    ['CRLF line ends', 'data: a\r\n\r\ndata: b\r\n\r\n', ['a', 'b']],
    ['CR line ends', 'data: a\r\rdata: b\r\r', ['a', 'b']],
    ['a leading BOM', '\uFEFFdata: a\n\n', ['a']],
    ['only one space stripped', 'data:  two spaces\n\n', [' two spaces']],
    ['empty data line counts', 'data\n\n', ['']],
    ['no data: nothing dispatched', 'event: ping\n\n', []],
    ['unfinished event not dispatched', 'data: a\n\ndata: b\n', ['a']],
    ['unknown fields ignored', 'foo: bar\ndata: a\n\n', ['a']],
    ['non-ASCII text', 'data: Bücherei — 図書館\n\n', ['Bücherei — 図書館']],
  ])('%s', (_label, text, expected) => {
    expect(data(parseInChunks(text, []))).toEqual(expected);
  });

  it('gives the same events however the bytes are cut (inside characters and CRLF too)', () => {
    const text =
      '\uFEFF: hello\r\ndata: {"type":"RESYNC"}\r\n\r\nevent: x\ndata: Bücherei\ndata: 図書館\n\n' +
      'id: 7\rdata: last\r\r';
    const whole = parseInChunks(text, []);
    expect(whole).toHaveLength(3);
    const length = encoder.encode(text).length;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: length - 1 }), { maxLength: 12 }),
        (cuts) => {
          expect(parseInChunks(text, cuts)).toEqual(whole);
        },
      ),
    );
    // Every single cut point, byte by byte, as well.
    for (let cut = 1; cut < length; cut += 1) expect(parseInChunks(text, [cut])).toEqual(whole);
  });

  it('carries event type, last event id and retry', () => {
    const parser = new SseParser();
    const events = parser.pushText('event: changed\nid: 41\nretry: 2500\ndata: a\n\ndata: b\n\n');
    expect(events).toEqual([
      { event: 'changed', data: 'a', lastEventId: '41' },
      { event: 'message', data: 'b', lastEventId: '41' },
    ]);
    expect(parser.retryMs).toBe(2500);
    parser.pushText('retry: soon\n\n');
    expect(parser.retryMs).toBe(2500);
  });

  it('starts clean on a new connection: a reconnect gets a new parser', () => {
    const first = new SseParser();
    expect(first.pushText('data: half')).toEqual([]);
    // The connection broke off mid-event; the half event is never dispatched.
    const second = new SseParser();
    expect(data(second.pushText('data: {"type":"RESYNC"}\n\n'))).toEqual(['{"type":"RESYNC"}']);
  });
});
