// The IPC bridge and the preload's client (createIpcDeskClient) end to end, with fakes of
// Electron's ipcMain, webContents and ipcRenderer: the Electron binary cannot run here. The
// fakes pass values through structuredClone, as Electron's IPC does.
import { describe, expect, it, vi } from 'vitest';
import { createIpcDeskClient, deskIpcChannels } from '../../shared/api/client.js';
import type { DeskIpcRenderer } from '../../shared/api/client.js';
import {
  fail,
  ok,
  type CheckinAnswer,
  type DeskHandlers,
  type DeskResult,
} from '../../shared/api/index.js';
import { handlersNotUnderTest, reshelveAnswer } from './bridge-test-handlers.js';
import { createDispatcher, createEventHub } from './dispatcher.js';
import {
  isDeskPage,
  serveOverIpc,
  type IpcCallListener,
  type IpcMainSurface,
  type WebContentsSurface,
} from './ipc-bridge.js';

const pageUrl = 'file:///opt/carrel/resources/app.asar/out/renderer/index.html';

/** Fake of Electron's ipcMain: keeps the handlers and lets a test invoke one from a frame. */
class FakeIpcMain implements IpcMainSurface {
  readonly handlers = new Map<string, IpcCallListener>();

  handle(channel: string, listener: IpcCallListener): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  /** What Electron does on `ipcRenderer.invoke` from a frame at `frameUrl` (null: frame gone). */
  async invokeFrom(frameUrl: string | null, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (handler === undefined) throw new Error(`No handler registered for '${channel}'`);
    const [name, callArgs] = structuredClone(args);
    const event = { senderFrame: frameUrl === null ? null : { url: frameUrl } };
    return structuredClone(await handler(event, name, callArgs));
  }
}

/** Fake of a window's webContents: records what main sends and hands it to the page. */
class FakeWebContents implements WebContentsSurface {
  readonly sent: [channel: string, ...args: unknown[]][] = [];
  destroyed = false;
  page: FakeIpcRenderer | undefined;

  constructor(public url: string) {}

  send(channel: string, ...args: unknown[]): void {
    const copy = structuredClone(args);
    this.sent.push([channel, ...copy]);
    this.page?.receive(channel, copy);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  getURL(): string {
    return this.url;
  }
}

type RendererListener = Parameters<DeskIpcRenderer['on']>[1];

/** Fake of the page's ipcRenderer, wired to a FakeIpcMain and a FakeWebContents. */
class FakeIpcRenderer implements DeskIpcRenderer {
  readonly listeners = new Map<string, Set<RendererListener>>();

  constructor(
    private readonly ipcMain: FakeIpcMain,
    private readonly contents: FakeWebContents,
  ) {
    contents.page = this;
  }

  invoke(channel: string, name: string, args: unknown): Promise<unknown> {
    return this.ipcMain.invokeFrom(this.contents.url, channel, name, args);
  }

  on(channel: string, listener: RendererListener): this {
    const set = this.listeners.get(channel) ?? new Set();
    this.listeners.set(channel, set.add(listener));
    return this;
  }

  removeListener(channel: string, listener: RendererListener): this {
    this.listeners.get(channel)?.delete(listener);
    return this;
  }

  receive(channel: string, [name, payload]: unknown[]): void {
    for (const listener of this.listeners.get(channel) ?? []) listener({}, name, payload);
  }
}

/** What the bridge serves under test: check-in scans answer "reshelve", the rest fail. */
function setUp(
  scan: DeskHandlers['checkin']['scan'] = ({ barcode }) => ok(reshelveAnswer(barcode)),
) {
  const scanSpy = vi.fn(scan);
  const handlers = {
    ...handlersNotUnderTest,
    checkin: { ...handlersNotUnderTest.checkin, scan: scanSpy },
  } satisfies DeskHandlers;
  const ipcMain = new FakeIpcMain();
  const window = new FakeWebContents(pageUrl);
  const windows = [window];
  const events = createEventHub();
  const log: string[] = [];
  const bridge = serveOverIpc({
    dispatcher: createDispatcher(handlers, { log: (line) => log.push(line) }),
    events,
    ipcMain,
    webContentsList: () => windows,
    isTrustedSender: isDeskPage(pageUrl),
    log: (line) => log.push(line),
  });
  const carrel = createIpcDeskClient(new FakeIpcRenderer(ipcMain, window), '1.2.3');
  return { bridge, carrel, events, ipcMain, log, scan: scanSpy, window, windows };
}

describe('serveOverIpc with the preload client', () => {
  it('serves every call on one channel, and events on one other', () => {
    const { ipcMain } = setUp();
    expect([...ipcMain.handlers.keys()]).toEqual([deskIpcChannels.call]);
    expect(deskIpcChannels).toEqual({ call: 'carrel:call', event: 'carrel:event' });
  });

  it('answers a call from the desk page through the method tree', async () => {
    const { carrel, scan } = setUp();
    expect(carrel.version).toBe('1.2.3');
    expect(await carrel.checkin.scan({ barcode: '31234000123456' })).toEqual(
      ok(reshelveAnswer('31234000123456')),
    );
    expect(scan).toHaveBeenCalledWith({ barcode: '31234000123456' });
    expect(await carrel.holds.clearShelf({})).toEqual(fail('internal', 'not under test'));
  });

  it('validates arguments and method names at the boundary', async () => {
    const { carrel, ipcMain, scan } = setUp();
    const sneaky = { barcode: 'x', extra: 1 } as unknown as { barcode: string };
    expect(await carrel.checkin.scan(sneaky)).toMatchObject({
      ok: false,
      error: { code: 'invalid_arguments' },
    });
    for (const name of [42, null, '__proto__', 'checkin.nothing']) {
      expect(await ipcMain.invokeFrom(pageUrl, deskIpcChannels.call, name, {})).toMatchObject({
        ok: false,
        error: { code: 'unknown_method' },
      });
    }
    expect(scan).not.toHaveBeenCalled();
  });

  it.each([
    ['another file', 'file:///home/someone/Downloads/evil.html'],
    ['a web page', 'https://evil.example/'],
    [
      'the page on a network share',
      'file://share/opt/carrel/resources/app.asar/out/renderer/index.html',
    ],
    ['a frame that is gone', null],
  ])('refuses a call from %s without running it', async (_label, frameUrl) => {
    const { ipcMain, log, scan } = setUp();
    const answer = await ipcMain.invokeFrom(frameUrl, deskIpcChannels.call, 'checkin.scan', {
      barcode: 'b',
    });
    expect(answer).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(scan).not.toHaveBeenCalled();
    expect(log.join('\n')).toMatch(/refused/);
    if (frameUrl !== null) expect(log.join('\n')).not.toContain(frameUrl);
  });

  it('answers internal when the handler throws', async () => {
    const { carrel } = setUp(() => {
      throw new Error('broken');
    });
    expect(await carrel.checkin.scan({ barcode: 'b' })).toMatchObject({
      ok: false,
      error: { code: 'internal' },
    });
  });

  it('resolves as internal, never rejects, when main has no handler', async () => {
    const { bridge, carrel } = setUp();
    bridge.close();
    expect(await carrel.checkin.scan({ barcode: 'b' })).toMatchObject({
      ok: false,
      error: { code: 'internal' },
    });
  });

  it('sends events to desk windows, where `on` hears only its own event', () => {
    const { carrel, events, window } = setUp();
    const heard: CheckinAnswer[] = [];
    const stop = carrel.on('checkin.recorded', (payload) => heard.push(payload));
    const crateEvents: unknown[] = [];
    carrel.on('crates.changed', (payload) => crateEvents.push(payload));

    events.emit('checkin.recorded', reshelveAnswer('b1'));
    stop();
    events.emit('checkin.recorded', reshelveAnswer('b2'));

    expect(heard).toEqual([reshelveAnswer('b1')]);
    expect(crateEvents).toEqual([]);
    expect(window.sent).toEqual([
      [deskIpcChannels.event, 'checkin.recorded', reshelveAnswer('b1')],
      [deskIpcChannels.event, 'checkin.recorded', reshelveAnswer('b2')],
    ]);
  });

  it('sends events to no window that is destroyed or shows another page', () => {
    const { events, window, windows } = setUp();
    const elsewhere = new FakeWebContents('https://evil.example/');
    const destroyed = new FakeWebContents(pageUrl);
    destroyed.destroyed = true;
    windows.push(elsewhere, destroyed);
    events.emit('checkin.recorded', reshelveAnswer('b'));
    expect(window.sent).toHaveLength(1);
    expect(elsewhere.sent).toEqual([]);
    expect(destroyed.sent).toEqual([]);
  });

  it('close() removes the handler and stops the events', () => {
    const { bridge, events, ipcMain, window } = setUp();
    bridge.close();
    expect(ipcMain.handlers.size).toBe(0);
    events.emit('checkin.recorded', reshelveAnswer('b'));
    expect(window.sent).toEqual([]);
  });

  it('a pending call still resolves after close()', async () => {
    let release: (() => void) | undefined;
    const { bridge, carrel } = setUp(
      ({ barcode }) =>
        new Promise<DeskResult<CheckinAnswer>>((resolve) => {
          release = () => resolve(ok(reshelveAnswer(barcode)));
        }),
    );
    const pending = carrel.checkin.scan({ barcode: 'b' });
    await vi.waitFor(() => expect(release).toBeDefined());
    bridge.close();
    release?.();
    expect(await pending).toEqual(ok(reshelveAnswer('b')));
  });
});

describe('isDeskPage', () => {
  it.each([
    [pageUrl, pageUrl, true],
    [pageUrl, `${pageUrl}#/crates`, true],
    [pageUrl, `${pageUrl}?x=1`, true],
    [pageUrl, 'file:///opt/carrel/resources/app.asar/out/renderer/other.html', false],
    [pageUrl, 'file://host/opt/carrel/resources/app.asar/out/renderer/index.html', false],
    [pageUrl, 'https://evil.example/opt/carrel/resources/app.asar/out/renderer/index.html', false],
    [pageUrl, 'not a url', false],
    ['http://localhost:5173/', 'http://localhost:5173/crates', true],
    ['http://localhost:5173/', 'http://localhost:5174/', false],
    ['http://localhost:5173/', 'http://localhost.evil.example:5173/', false],
    ['http://localhost:5173/', 'file:///index.html', false],
  ])('page %s, sender %s: %s', (page, sender, expected) => {
    expect(isDeskPage(page)(sender)).toBe(expected);
  });
});
