// The live stream wakes the desks of the libraries a commit concerns, and only those: a real
// server on loopback, real SSE connections, real pushes and imports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsortiumServer, type ConsortiumServer } from '../../server/app.js';
import type { StreamMessage } from '../../shared/index.js';
import { consortium, hold, T0 } from '../support/desk.js';
import { streamMessages, type StreamMessages } from '../support/stream-messages.js';

let dir: string;
let server: ConsortiumServer;
const desks: Record<string, { deskId: string; token: string }> = {};

/** One desk's stream: its messages in order, and a way to wait for the next. */
class Stream {
  private messages: StreamMessages | undefined;
  private readonly abort = new AbortController();

  async open(token: string): Promise<void> {
    const response = await fetch(`${server.url}/v1/sync/stream`, {
      headers: { authorization: `Bearer ${token}` },
      signal: this.abort.signal,
    });
    this.messages = streamMessages(response);
  }

  next(): Promise<StreamMessage> {
    return this.messages!.next();
  }

  close(): void {
    this.abort.abort();
  }
}

const streams: Record<string, Stream> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-stream-'));
  server = await startConsortiumServer({ dataDir: dir });
  await server.importDocuments('libraries', consortium);
  // Two desks at MAIN: MAIN pushes, MAIN2 is told.
  for (const [name, library] of [
    ['MAIN', 'MAIN'],
    ['MAIN2', 'MAIN'],
    ['EAST', 'EAST'],
    ['WEST', 'WEST'],
  ] as const) {
    const code = await server.createEnrolmentCode(library);
    const response = await fetch(`${server.url}/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, deskName: `${name} desk` }),
    });
    desks[name] = (await response.json()) as { deskId: string; token: string };
    const stream = new Stream();
    await stream.open(desks[name].token);
    expect(await stream.next()).toEqual({ type: 'RESYNC' });
    streams[name] = stream;
  }
});
afterAll(async () => {
  for (const stream of Object.values(streams)) stream.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the live stream', () => {
  it('tells only the libraries a change concerns, and every desk what concerns all', async () => {
    // A check-in of MAIN concerns MAIN only, and not the desk that pushed it, which holds it.
    const pushed = await fetch(`${server.url}/v1/sync/checkins/push`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${desks['MAIN']!.token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        rows: [
          {
            assumedMasterState: null,
            newDocumentState: {
              id: '01JS0000000000000000000077',
              barcode: '33907000000017',
              library: 'MAIN',
              staff: 'AB',
              scannedAt: T0,
              outcome: { route: 'reshelve' },
              updatedAt: T0,
              deskId: desks['MAIN']!.deskId,
              _deleted: false,
            },
          },
        ],
      }),
    });
    expect(pushed.status).toBe(200);
    expect(await streams['MAIN2']!.next()).toMatchObject({
      type: 'changed',
      collection: 'checkins',
    });

    // A hold picked up at EAST and pulled at MAIN concerns those two. Streams deliver in
    // order, so this being the pushing desk's first message proves it was not told of its
    // own check-in.
    await server.importDocuments('holds', [hold('bib-1', 'EAST', { pullLibrary: 'MAIN' })]);
    for (const name of ['MAIN', 'MAIN2', 'EAST']) {
      expect(await streams[name]!.next()).toMatchObject({ collection: 'holds' });
    }

    // Libraries concern everyone. WEST's first message being this one proves it was told of
    // neither change above, and EAST not of MAIN's check-in.
    await server.importDocuments('libraries', [{ ...consortium[0]!, name: 'Main Street' }]);
    for (const name of ['MAIN', 'MAIN2', 'EAST', 'WEST']) {
      expect(await streams[name]!.next()).toMatchObject({ collection: 'libraries' });
    }
  });
});
