// The WebSocket bridge over real sockets on 127.0.0.1: who may connect and what happens to
// messages no real client would send (raw `ws` clients), then the round trip through the
// UI's own client (shared/api/client.ts, which renderer/desk-client wraps for the browser)
// with the `ws` package as its WebSocket.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import {
  connectWebSocketDeskClient,
  deskWebSocket,
  type DeskConnection,
} from '../../shared/api/client.js';
import {
  fail,
  ok,
  type CheckinAnswer,
  type CrateSummary,
  type DeskHandlers,
  type DeskResult,
} from '../../shared/api/index.js';
import { handlersNotUnderTest, reshelveAnswer } from './bridge-test-handlers.js';
import { createDispatcher, createEventHub } from './dispatcher.js';
import {
  isLoopbackAddress,
  startWebSocketBridge,
  type WebSocketBridge,
  type WebSocketBridgeOptions,
} from './ws-bridge.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((thing) => thing.close()));
});

/** The desk the bridge serves under test: check-in scans answer "reshelve", the rest fail. */
function scanHandlers() {
  const scan = vi.fn(({ barcode }: { barcode: string }) => ok(reshelveAnswer(barcode)));
  const handlers = {
    ...handlersNotUnderTest,
    checkin: { ...handlersNotUnderTest.checkin, scan },
  } satisfies DeskHandlers;
  return { handlers, scan };
}

async function startBridge(options: Partial<WebSocketBridgeOptions> = {}) {
  const { handlers, scan } = scanHandlers();
  const log: string[] = [];
  const events = createEventHub();
  const bridge = await startWebSocketBridge({
    dispatcher: createDispatcher(handlers),
    events,
    log: (line) => log.push(line),
    ...options,
  });
  open.push(bridge);
  return { bridge, events, scan, log };
}

interface RawOptions {
  protocols?: string[];
  origin?: string;
  path?: string;
}

/** Opens a raw connection; answers the socket, or the HTTP status the bridge refused with. */
function connectRaw(
  bridge: WebSocketBridge,
  { protocols = [`carrel.${bridge.token}`], origin, path = deskWebSocket.path }: RawOptions = {},
): Promise<{ socket: WebSocket } | { status: number }> {
  const url = `ws://127.0.0.1:${bridge.port}${path}`;
  const socket = new WebSocket(url, protocols, origin === undefined ? {} : { origin });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      open.push({
        close: () =>
          new Promise((done) => {
            if (socket.readyState === WebSocket.CLOSED) return done();
            socket.once('close', () => done());
            socket.close();
          }),
      });
      resolve({ socket });
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

async function connected(bridge: WebSocketBridge, options?: RawOptions): Promise<WebSocket> {
  const outcome = await connectRaw(bridge, options);
  if (!('socket' in outcome)) throw new Error(`refused with ${outcome.status}`);
  return outcome.socket;
}

function nextMessage(socket: WebSocket): Promise<unknown> {
  return new Promise((resolve) => {
    socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString('utf8'))));
  });
}

async function exchange(socket: WebSocket, message: string | Buffer): Promise<unknown> {
  const answer = nextMessage(socket);
  socket.send(message);
  return answer;
}

const scanCall = (id: number, barcode = '31234000123456') =>
  JSON.stringify({ id, method: 'checkin.scan', args: { barcode } });

describe('startWebSocketBridge: serving', () => {
  it('answers a call with its id and the handler result', async () => {
    const { bridge, scan } = await startBridge();
    expect(bridge.url).toBe(`ws://127.0.0.1:${bridge.port}/desk`);
    const socket = await connected(bridge);
    expect(socket.protocol).toBe(`carrel.${bridge.token}`);
    expect(await exchange(socket, scanCall(7))).toEqual({
      id: 7,
      result: ok(reshelveAnswer('31234000123456')),
    });
    expect(scan).toHaveBeenCalledTimes(1);
  });

  it('answers an unknown method and invalid arguments through the dispatcher', async () => {
    const { bridge } = await startBridge();
    const socket = await connected(bridge);
    const unknown = await exchange(
      socket,
      JSON.stringify({ id: 1, method: '__proto__', args: {} }),
    );
    expect(unknown).toMatchObject({
      id: 1,
      result: { ok: false, error: { code: 'unknown_method' } },
    });
    const invalid = await exchange(
      socket,
      JSON.stringify({ id: 2, method: 'checkin.scan', args: { barcode: 5 } }),
    );
    expect(invalid).toMatchObject({
      id: 2,
      result: { ok: false, error: { code: 'invalid_arguments' } },
    });
  });

  it('pushes every event to every connection', async () => {
    const { bridge, events } = await startBridge();
    const sockets = [await connected(bridge), await connected(bridge)];
    const received = sockets.map(nextMessage);
    events.emit('checkin.recorded', reshelveAnswer('b1'));
    for (const message of await Promise.all(received)) {
      expect(message).toEqual({ event: 'checkin.recorded', payload: reshelveAnswer('b1') });
    }
  });

  it('gives each start a new random token', async () => {
    const first = await startBridge();
    const second = await startBridge();
    expect(first.bridge.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.bridge.token).not.toBe(first.bridge.token);
  });

  it('serves a token it was given, and refuses a weak one', async () => {
    const token = 'a-given-token-of-32-characters-x';
    const { bridge } = await startBridge({ token });
    expect(bridge.token).toBe(token);
    await connected(bridge);
    await expect(startBridge({ token: 'short' })).rejects.toThrow(/16 base64url/);
    await expect(startBridge({ token: 'has spaces and is long enough' })).rejects.toThrow();
  });
});

describe('startWebSocketBridge: who may connect', () => {
  it.each([
    ['a wrong token', (token: string) => [`carrel.${token.slice(1)}x`]],
    ['no subprotocol', () => []],
    ['the token without the carrel. prefix', (token: string) => [token]],
    ['the token as the second subprotocol', (token: string) => ['carrel.x', `carrel.${token}`]],
  ])('refuses %s with 401 before upgrading', async (_label, protocols) => {
    const { bridge, scan } = await startBridge();
    expect(await connectRaw(bridge, { protocols: protocols(bridge.token) })).toEqual({
      status: 401,
    });
    expect(scan).not.toHaveBeenCalled();
  });

  it('refuses an Origin that is not allowed (403), and accepts an allowed one', async () => {
    const { bridge } = await startBridge({ allowedOrigins: ['http://127.0.0.1:5173'] });
    expect(await connectRaw(bridge, { origin: 'https://evil.example' })).toEqual({ status: 403 });
    expect(await connectRaw(bridge, { origin: 'null' })).toEqual({ status: 403 });
    await connected(bridge, { origin: 'http://127.0.0.1:5173' });
    // A client that is not a browser sends no Origin; it still needs the token.
    await connected(bridge);
  });

  it('accepts any Origin with the token when no origins are listed', async () => {
    const { bridge } = await startBridge();
    await connected(bridge, { origin: 'https://anywhere.example' });
  });

  it('answers 404 to an upgrade elsewhere than /desk', async () => {
    const { bridge } = await startBridge();
    expect(await connectRaw(bridge, { path: '/other' })).toEqual({ status: 404 });
  });

  it('answers plain HTTP with 426 at /desk and 404 elsewhere', async () => {
    const { bridge } = await startBridge();
    const atDesk = await fetch(`http://127.0.0.1:${bridge.port}/desk`);
    expect(atDesk.status).toBe(426);
    expect((await fetch(`http://127.0.0.1:${bridge.port}/`)).status).toBe(404);
  });

  it.each(['0.0.0.0', '192.168.1.20', '::', 'localhost', 'example.com', '::ffff:127.0.0.1'])(
    'refuses to bind %s',
    async (host) => {
      await expect(startBridge({ host })).rejects.toThrow(/loopback/);
    },
  );

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['0.0.0.0', false],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['::', false],
    ['localhost', false],
    ['', false],
  ])('isLoopbackAddress(%j) is %s', (host, expected) => {
    expect(isLoopbackAddress(host)).toBe(expected);
  });
});

describe('startWebSocketBridge: messages no real client sends', () => {
  const unreadable = { ok: false, error: { code: 'invalid_arguments' } };

  it.each([
    ['malformed JSON', '{"id": 1, "method":'],
    ['a JSON array', '[1, "checkin.scan", {}]'],
    ['a JSON string', '"checkin.scan"'],
    ['JSON null', 'null'],
    ['a call without an id', JSON.stringify({ method: 'checkin.scan', args: {} })],
    ['a string id', JSON.stringify({ id: '1', method: 'checkin.scan', args: {} })],
    ['a fractional id', JSON.stringify({ id: 1.5, method: 'checkin.scan', args: {} })],
  ])('answers %s with id null, and the connection stays usable', async (_label, message) => {
    const { bridge } = await startBridge();
    const socket = await connected(bridge);
    expect(await exchange(socket, message)).toMatchObject({ id: null, result: unreadable });
    expect(await exchange(socket, scanCall(2))).toMatchObject({ id: 2, result: { ok: true } });
  });

  it.each([
    ['a non-string method', JSON.stringify({ id: 4, method: 5, args: {} })],
    ['an extra key', JSON.stringify({ id: 4, method: 'checkin.scan', args: {}, more: 1 })],
    ['missing args', JSON.stringify({ id: 4, method: 'checkin.scan' })],
    ['array args', JSON.stringify({ id: 4, method: 'checkin.scan', args: ['x'] })],
  ])('answers %s with the call id', async (_label, message) => {
    const { bridge } = await startBridge();
    const socket = await connected(bridge);
    expect(await exchange(socket, message)).toMatchObject({ id: 4, result: unreadable });
  });

  it('answers a binary message without reading it', async () => {
    const { bridge, scan } = await startBridge();
    const socket = await connected(bridge);
    expect(await exchange(socket, Buffer.from(scanCall(1)))).toMatchObject({
      id: null,
      result: unreadable,
    });
    expect(scan).not.toHaveBeenCalled();
  });

  it('answers an oversized call without parsing it, and the connection stays usable', async () => {
    const { bridge, scan } = await startBridge();
    const socket = await connected(bridge);
    const oversized = scanCall(1, 'x'.repeat(deskWebSocket.maxMessageBytes));
    expect(await exchange(socket, oversized)).toMatchObject({ id: null, result: unreadable });
    expect(scan).not.toHaveBeenCalled();
    expect(await exchange(socket, scanCall(2))).toMatchObject({ id: 2, result: { ok: true } });
  });

  it('closes a connection that sends more than ws will buffer (1009), and keeps serving', async () => {
    const { bridge, log } = await startBridge();
    const socket = await connected(bridge);
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    socket.send('x'.repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
    expect(log.join('\n')).toMatch(/Max payload size exceeded/);
    const next = await connected(bridge);
    expect(await exchange(next, scanCall(1))).toMatchObject({ id: 1, result: { ok: true } });
  });

  it('answers internal when the handler throws, and keeps serving', async () => {
    const scan = () => {
      throw new Error('the handler broke');
    };
    const handlers = {
      ...handlersNotUnderTest,
      checkin: { ...handlersNotUnderTest.checkin, scan },
    } satisfies DeskHandlers;
    const { bridge } = await startBridge({
      dispatcher: createDispatcher(handlers, { log: () => {} }),
    });
    const socket = await connected(bridge);
    expect(await exchange(socket, scanCall(1))).toMatchObject({
      id: 1,
      result: { ok: false, error: { code: 'internal' } },
    });
    expect(await exchange(socket, scanCall(2))).toMatchObject({ id: 2 });
  });
});

describe('startWebSocketBridge: close', () => {
  it('closes connections with 1001, drops events, and frees the port', async () => {
    const { bridge, events } = await startBridge();
    open.splice(open.indexOf(bridge), 1);
    const socket = await connected(bridge);
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    await bridge.close();
    expect(await closed).toBe(1001);
    events.emit('checkin.recorded', reshelveAnswer('b'));
    await expect(connectRaw(bridge)).rejects.toThrow(/ECONNREFUSED/);
    await bridge.close(); // a second close is a no-op
  });

  it('closes while a handler is still running, without answering into a closed socket', async () => {
    let finish: (() => void) | undefined;
    const scan = ({ barcode }: { barcode: string }) =>
      new Promise<DeskResult<CheckinAnswer>>((resolve) => {
        finish = () => resolve(ok(reshelveAnswer(barcode)));
      });
    const handlers = {
      ...handlersNotUnderTest,
      checkin: { ...handlersNotUnderTest.checkin, scan },
    } satisfies DeskHandlers;
    const { bridge, log } = await startBridge({ dispatcher: createDispatcher(handlers) });
    open.splice(open.indexOf(bridge), 1);
    const socket = await connected(bridge);
    socket.send(scanCall(1));
    await vi.waitFor(() => expect(finish).toBeDefined());
    await bridge.close();
    finish?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual([]);
  });
});

const crate: CrateSummary = {
  crateId: '01JD0000000000000000000001',
  labelBarcode: 'C-0001',
  origin: { code: 'AAA', name: 'Alder' },
  destination: { code: 'BBB', name: 'Birch' },
  status: 'open',
  count: 3,
  capacity: 40,
  openedAt: '2026-11-23T09:00:00.000Z',
};

/**
 * What the bridge serves under test: scans answer "reshelve", `crates.list` answers one
 * crate, and a scan of "wait" stays unanswered until the test lets it go.
 */
function deskUnderTest() {
  const waiting: (() => void)[] = [];
  const scan = vi.fn(({ barcode }: { barcode: string }) =>
    barcode === 'wait'
      ? new Promise<DeskResult<CheckinAnswer>>((resolve) => {
          waiting.push(() => resolve(ok(reshelveAnswer(barcode))));
        })
      : ok(reshelveAnswer(barcode)),
  );
  const handlers = {
    ...handlersNotUnderTest,
    checkin: { ...handlersNotUnderTest.checkin, scan },
    crates: { ...handlersNotUnderTest.crates, list: () => ok([crate]) },
  } satisfies DeskHandlers;
  return { handlers, scan, waiting };
}

async function start() {
  const desk = deskUnderTest();
  const started = await startBridge({ dispatcher: createDispatcher(desk.handlers) });
  return { ...started, ...desk };
}

async function connect(bridge: WebSocketBridge, token = bridge.token): Promise<DeskConnection> {
  const client = await connectWebSocketDeskClient({
    url: bridge.url,
    token,
    version: '9.9.9-test',
    WebSocketImpl: WebSocket,
  });
  open.push(client);
  return client;
}

const closedAnswer = fail('internal', 'The desk connection closed.');

describe('the desk client (shared/api/client.ts) over the real bridge', () => {
  it('calls through the method tree and gets the handler answers', async () => {
    const { bridge, scan } = await start();
    const desk = await connect(bridge);
    expect(desk.version).toBe('9.9.9-test');
    expect(await desk.checkin.scan({ barcode: '31234000123456' })).toEqual(
      ok(reshelveAnswer('31234000123456')),
    );
    expect(await desk.crates.list({ direction: 'outgoing' })).toEqual(ok([crate]));
    expect(await desk.holds.holdShelf({})).toEqual(fail('internal', 'not under test'));
    expect(scan).toHaveBeenCalledTimes(1);
  });

  it('keeps concurrent calls apart by id', async () => {
    const { bridge } = await start();
    const desk = await connect(bridge);
    const barcodes = Array.from(
      { length: 20 },
      (_, i) => `3123400000${String(i).padStart(4, '0')}`,
    );
    const answers = await Promise.all(barcodes.map((barcode) => desk.checkin.scan({ barcode })));
    expect(answers).toEqual(barcodes.map((barcode) => ok(reshelveAnswer(barcode))));
  });

  it('answers invalid arguments from the bridge as invalid_arguments', async () => {
    const { bridge, scan } = await start();
    const desk = await connect(bridge);
    const sneaky = { barcode: 'x', patron: 'someone' } as unknown as { barcode: string };
    const result = await desk.checkin.scan(sneaky);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(scan).not.toHaveBeenCalled();
  });

  it('delivers events to listeners of that event until they unsubscribe', async () => {
    const { bridge, events } = await start();
    const desk = await connect(bridge);
    const crates: CrateSummary[] = [];
    const checkins: CheckinAnswer[] = [];
    const stopCrates = desk.on('crates.changed', (payload) => crates.push(payload));
    desk.on('checkin.recorded', (payload) => checkins.push(payload));

    events.emit('crates.changed', crate);
    events.emit('checkin.recorded', reshelveAnswer('b1'));
    await vi.waitFor(() => expect(checkins).toHaveLength(1));
    stopCrates();
    events.emit('crates.changed', { ...crate, count: 4 });
    events.emit('checkin.recorded', reshelveAnswer('b2'));
    await vi.waitFor(() => expect(checkins).toHaveLength(2));

    expect(crates).toEqual([crate]);
    expect(checkins).toEqual([reshelveAnswer('b1'), reshelveAnswer('b2')]);
  });

  it('rejects the connection with a wrong token, and nothing reaches the desk', async () => {
    const { bridge, scan } = await start();
    await expect(connect(bridge, `${bridge.token}x`)).rejects.toThrow(/refused/);
    await expect(connect(bridge, '')).rejects.toThrow(/refused/);
    expect(scan).not.toHaveBeenCalled();
  });

  it('refuses to send an oversized call, and the connection stays usable', async () => {
    const { bridge, scan } = await start();
    const desk = await connect(bridge);
    const huge = await desk.checkin.scan({ barcode: 'x'.repeat(deskWebSocket.maxMessageBytes) });
    expect(huge).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(scan).not.toHaveBeenCalled();
    expect(await desk.checkin.scan({ barcode: 'b' })).toEqual(ok(reshelveAnswer('b')));
  });

  it('on close(), resolves waiting calls as internal and rejects nothing', async () => {
    const { bridge, scan } = await start();
    const desk = await connect(bridge);
    const pending = desk.checkin.scan({ barcode: 'wait' });
    await vi.waitFor(() => expect(scan).toHaveBeenCalled());
    await desk.close();
    expect(await pending).toEqual(closedAnswer);
    expect(await desk.checkin.scan({ barcode: 'b' })).toEqual(closedAnswer);
    await desk.close(); // closing twice is fine
  });

  it('when the bridge closes, resolves waiting calls as internal', async () => {
    const { bridge, scan, waiting } = await start();
    const desk = await connect(bridge);
    const pending = desk.checkin.scan({ barcode: 'wait' });
    await vi.waitFor(() => expect(scan).toHaveBeenCalled());
    await bridge.close();
    expect(await pending).toEqual(closedAnswer);
    waiting.forEach((release) => release());
    expect(await desk.crates.list({ direction: 'incoming' })).toEqual(closedAnswer);
  });

  it('rejects when no bridge listens', async () => {
    const { bridge } = await start();
    await bridge.close();
    await expect(connect(bridge)).rejects.toThrow(/refused|not running/);
  });
});
