// The desk API over Electron IPC, for `window.carrel` in the desk app: one invoke channel for
// every call, one channel for every event, both named in shared/api/client.ts. Electron's
// objects come in as parameters and only their types are imported, so this runs (and is
// tested) in plain Node; main/index.ts passes the real ipcMain and windows.
import type { IpcMain, IpcMainInvokeEvent, WebContents, WebFrameMain } from 'electron';
import { deskIpcChannels } from '../../shared/api/client.js';
import { fail, type DeskResult } from '../../shared/api/index.js';
import type { DeskDispatcher, DeskEventHub } from './dispatcher.js';

/** What the bridge reads of an invoke event: the frame that sent it (null once it is gone). */
export interface IpcCallEvent {
  readonly senderFrame: Pick<WebFrameMain, 'url'> | null;
}

export type IpcCallListener = (
  event: IpcCallEvent,
  name: unknown,
  args: unknown,
) => Promise<DeskResult<unknown>>;

/** The part of Electron's ipcMain the bridge uses. */
export interface IpcMainSurface {
  handle(channel: string, listener: IpcCallListener): void;
  removeHandler(channel: string): void;
}

/** The part of a window's webContents the bridge uses. */
export type WebContentsSurface = Pick<WebContents, 'send' | 'isDestroyed' | 'getURL'>;

// Electron's own objects fit the surfaces above: a compile error here means they drifted.
const electronFits: [IpcMain, IpcMainInvokeEvent, WebContents] extends [
  IpcMainSurface,
  IpcCallEvent,
  WebContentsSurface,
]
  ? true
  : false = true;
void electronFits;

export interface IpcBridgeOptions {
  readonly dispatcher: DeskDispatcher;
  readonly events: DeskEventHub;
  readonly ipcMain: IpcMainSurface;
  /** The desk's windows now (read at each event: windows come and go). */
  readonly webContentsList: () => Iterable<WebContentsSurface>;
  /**
   * True for a URL of the desk's own page: its file:// page when built, the dev server's
   * URL under `electron-vite dev`. Calls from any other frame (an embedded or navigated-away
   * page) are refused, and events go only to windows showing the desk's page.
   */
  readonly isTrustedSender: (url: string) => boolean;
  readonly log?: (line: string) => void;
}

/**
 * An `isTrustedSender` for the desk's page at `pageUrl`: the same file for a built app
 * (file:// URLs have no origin to compare; a host would make it a network share), the same
 * origin for the dev server. Query and
 * fragment do not matter; another file, scheme, host or port does.
 */
export function isDeskPage(pageUrl: string): (url: string) => boolean {
  const page = new URL(pageUrl);
  return (url) => {
    let candidate: URL;
    try {
      candidate = new URL(url);
    } catch {
      return false;
    }
    if (page.protocol === 'file:') {
      return (
        candidate.protocol === 'file:' &&
        candidate.host === page.host &&
        candidate.pathname === page.pathname
      );
    }
    return candidate.origin === page.origin;
  };
}

export interface IpcBridge {
  /** Removes the call handler and stops forwarding events. */
  close(): void;
}

export function serveOverIpc(options: IpcBridgeOptions): IpcBridge {
  const { dispatcher, events, ipcMain, webContentsList, isTrustedSender } = options;
  const log = options.log ?? ((line: string) => console.error(line));

  ipcMain.handle(deskIpcChannels.call, async (event, name, args) => {
    const url = event.senderFrame?.url;
    if (url === undefined || !isTrustedSender(url)) {
      // The URL is not logged: a page that is not ours may carry anything in it.
      log('carrel: refused a desk call from a frame that is not the desk page');
      return fail('internal', 'This page may not call the desk.');
    }
    if (typeof name !== 'string') return fail('unknown_method', 'The desk has no such call.');
    return dispatcher.call(name, args);
  });

  const unsubscribe = events.subscribe((event, payload) => {
    for (const contents of webContentsList()) {
      if (contents.isDestroyed() || !isTrustedSender(contents.getURL())) continue;
      contents.send(deskIpcChannels.event, event, payload);
    }
  });

  return {
    close() {
      ipcMain.removeHandler(deskIpcChannels.call);
      unsubscribe();
    },
  };
}
