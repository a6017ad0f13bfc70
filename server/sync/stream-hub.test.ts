// The stream hub's window, on its own with fake timers (the real SSE path is in
// test/server/live-stream.test.ts): the first change goes out at once, a burst inside the window
// goes out once at its end with the newest seq, other libraries hear nothing.
import type { FastifyReply } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EnrolledDesk } from '../store/desk-registry.js';
import { STREAM_WINDOW_MS, StreamHub } from './sync-routes.js';

function stream(library: string) {
  const written: unknown[] = [];
  const reply = {
    raw: {
      write: (chunk: string) => written.push(JSON.parse(chunk.replace(/^data: /, '').trim())),
      end: () => undefined,
    },
  } as unknown as FastifyReply;
  const desk: EnrolledDesk = {
    deskId: `D-${library}`,
    library,
    role: 'desk',
    name: library,
    revoked: false,
  };
  return { reply, desk, written };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('StreamHub', () => {
  it('tells a desk at once, then once per window with the newest seq', () => {
    const hub = new StreamHub();
    const main = stream('MAIN');
    const west = stream('WEST');
    hub.add(main.desk, main.reply);
    hub.add(west.desk, west.reply);

    for (let seq = 1; seq <= 5; seq++) hub.changed('checkins', seq, ['MAIN']);
    hub.changed('holds', 6, ['MAIN', 'EAST']);
    expect(main.written).toEqual([
      { type: 'changed', collection: 'checkins', checkpoint: { seq: 1 } },
    ]);

    vi.advanceTimersByTime(STREAM_WINDOW_MS);
    expect(main.written.slice(1)).toEqual([
      { type: 'changed', collection: 'checkins', checkpoint: { seq: 5 } },
      { type: 'changed', collection: 'holds', checkpoint: { seq: 6 } },
    ]);
    vi.advanceTimersByTime(10 * STREAM_WINDOW_MS);
    expect(main.written).toHaveLength(3);
    expect(west.written).toEqual([]);

    // A quiet window later, the next change goes out at once again.
    hub.changed('libraries', 7);
    expect(main.written).toHaveLength(4);
    expect(west.written).toEqual([
      { type: 'changed', collection: 'libraries', checkpoint: { seq: 7 } },
    ]);
    hub.closeAll();
  });
});
