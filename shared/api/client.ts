// How a caller reaches the desk API: the method tree built from `deskMethodNames` over any
// transport, and the clients of the two wires that carry it (Electron IPC for the preload, a
// loopback WebSocket for a browser). Main's bridges read the channel names and message shapes
// from here too, so neither side spells them by hand. No DOM, Node or Electron API is used:
// ipcRenderer and the WebSocket class come in as parameters.
import {
  deskEventNames,
  deskMethodNames,
  type DeskApi,
  type DeskClient,
  type DeskEventName,
  type DeskEvents,
} from './contract.js';
import { deskErrorCodes, fail, type DeskErrorCode, type DeskResult } from './result.js';

/** Carries one call to main and answers what main answered. */
export type DeskTransport = (name: string, args: unknown) => Promise<DeskResult<unknown>>;

/** `DeskClient['on']`: subscribes to one event, answers the unsubscribe function. */
export type DeskEventSubscriber = DeskClient['on'];

/** What a call answers once its connection is gone (closed, or never opened). */
export const connectionClosedMessage = 'The desk connection closed.';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an answer that crossed a process boundary as a DeskResult. Anything else becomes
 * `internal`: the UI can rely on `ok` and, when it is false, on `error.code`.
 */
export function toDeskResult(answer: unknown): DeskResult<unknown> {
  if (isRecord(answer)) {
    if (answer['ok'] === true) return { ok: true, value: answer['value'] };
    const error = answer['error'];
    if (answer['ok'] === false && isRecord(error)) {
      const { code, message } = error;
      if (isDeskErrorCode(code) && typeof message === 'string') return fail(code, message);
    }
  }
  return fail('internal', 'The desk answered something this page cannot read.');
}

function isDeskErrorCode(code: unknown): code is DeskErrorCode {
  return (deskErrorCodes as readonly unknown[]).includes(code);
}

export function isDeskEventName(name: unknown): name is DeskEventName {
  return (deskEventNames as readonly unknown[]).includes(name);
}

/**
 * The nested method tree (`api.checkin.scan(args)`), one function per name in
 * `deskMethodNames`. A call never rejects: a transport that throws or rejects answers
 * `internal`, so the UI handles every outcome through `ok`.
 */
export function buildDeskApi(transport: DeskTransport): DeskApi {
  const tree: Record<string, Record<string, (args: unknown) => Promise<DeskResult<unknown>>>> = {};
  for (const name of deskMethodNames) {
    const [capability, method] = name.split('.') as [string, string];
    const methods = (tree[capability] ??= {});
    methods[method] = async (args) => {
      try {
        return toDeskResult(await transport(name, args));
      } catch {
        return fail('internal', 'The desk did not answer this call.');
      }
    };
  }
  // The tree has exactly the contract's capabilities and methods: it is built from the same
  // `deskContract` keys that DeskApi maps over.
  return tree as unknown as DeskApi;
}

export interface DeskClientParts {
  readonly call: DeskTransport;
  readonly on: DeskEventSubscriber;
  readonly version: string;
}

/** A DeskClient from a transport and an event source: what `window.carrel` is. */
export function createDeskClient({ call, on, version }: DeskClientParts): DeskClient {
  return { ...buildDeskApi(call), version, on };
}

// ---- Electron IPC ---------------------------------------------------------------------------

/** The two IPC channels: `invoke(call, name, args)` and `send(event, name, payload)`. */
export const deskIpcChannels = {
  call: 'carrel:call',
  event: 'carrel:event',
} as const;

type IpcEventListener = (event: unknown, name: unknown, payload: unknown) => void;

/** The part of Electron's `ipcRenderer` the preload uses (described here, not imported). */
export interface DeskIpcRenderer {
  invoke(channel: string, name: string, args: unknown): Promise<unknown>;
  on(channel: string, listener: IpcEventListener): unknown;
  removeListener(channel: string, listener: IpcEventListener): unknown;
}

/** The DeskClient the preload exposes as `window.carrel`, over `ipcRenderer`. */
export function createIpcDeskClient(ipcRenderer: DeskIpcRenderer, version: string): DeskClient {
  return createDeskClient({
    version,
    call: async (name, args) =>
      toDeskResult(await ipcRenderer.invoke(deskIpcChannels.call, name, args)),
    on: (event, listener) => {
      const forward: IpcEventListener = (_ipcEvent, name, payload) => {
        if (name === event) listener(payload as DeskEvents[typeof event]);
      };
      ipcRenderer.on(deskIpcChannels.event, forward);
      return () => {
        ipcRenderer.removeListener(deskIpcChannels.event, forward);
      };
    },
  });
}

// ---- WebSocket ------------------------------------------------------------------------------

export const deskWebSocket = {
  /** The bridge's path: `ws://127.0.0.1:<port>/desk`. */
  path: '/desk',
  /**
   * The client presents its token as its first subprotocol, `carrel.<token>` (a browser can
   * set subprotocols but not headers). Tokens are base64url, which a subprotocol may carry.
   */
  protocolPrefix: 'carrel.',
  /**
   * The largest call a client sends, in UTF-8 bytes. The bridge answers a larger one with
   * `invalid_arguments` without reading it; the client refuses to send one. Real calls are a
   * few hundred bytes. (Answers have no such limit: a manifest PDF is larger.)
   */
  maxMessageBytes: 64 * 1024,
} as const;

/** Client to bridge: one call. `id` is the client's, echoed in the answer. */
export interface DeskWireCall {
  readonly id: number;
  readonly method: string;
  readonly args: unknown;
}

/** Bridge to client: the answer to call `id`; `id` is null when the call could not be read. */
export interface DeskWireAnswer {
  readonly id: number | null;
  readonly result: DeskResult<unknown>;
}

/** Bridge to client: an event pushed by main. */
export type DeskWireEvent = {
  [E in DeskEventName]: { readonly event: E; readonly payload: DeskEvents[E] };
}[DeskEventName];

/**
 * The part of the WebSocket API the client uses. Both the browser's WebSocket and the `ws`
 * package's fit it, so neither needs a cast and shared/ needs no DOM or Node types.
 */
export interface DeskSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
}

export type DeskSocketConstructor = new (url: string, protocols: string[]) => DeskSocket;

export interface DeskWebSocketClientOptions {
  /** The bridge's `ws://127.0.0.1:<port>/desk`. */
  readonly url: string;
  readonly token: string;
  /** What the client reports as `version` (the page's build). */
  readonly version: string;
  /** The browser's WebSocket, or the `ws` package's in Node. */
  readonly WebSocketImpl: DeskSocketConstructor;
}

export type DeskConnection = DeskClient & {
  /**
   * Closes the connection. Calls still waiting resolve at once as `internal` ("The desk
   * connection closed."); nothing rejects. Resolves when the socket has closed.
   */
  close(): Promise<void>;
};

/** WebSocket.OPEN in both implementations. */
const OPEN = 1;

function closedResult(): DeskResult<never> {
  return fail('internal', connectionClosedMessage);
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/**
 * A DeskClient over the bridge's WebSocket. Resolves once connected; rejects if the bridge
 * refuses the connection (wrong token, origin) or is not there.
 */
export function connectWebSocketDeskClient(
  options: DeskWebSocketClientOptions,
): Promise<DeskConnection> {
  const socket = new options.WebSocketImpl(options.url, [
    `${deskWebSocket.protocolPrefix}${options.token}`,
  ]);

  let nextId = 1;
  let closed = false;
  const pending = new Map<number, (result: DeskResult<unknown>) => void>();
  const listeners = new Map<DeskEventName, Set<(payload: unknown) => void>>();
  const whenClosed = new Promise<void>((resolve) => {
    socket.addEventListener('close', () => {
      closed = true;
      settleAllPending();
      resolve();
    });
  });

  function settleAllPending(): void {
    const waiting = [...pending.values()];
    pending.clear();
    for (const resolve of waiting) resolve(closedResult());
  }

  socket.addEventListener('message', ({ data }) => {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const { id, result, event, payload } = message as Record<string, unknown>;
    if (typeof id === 'number') {
      const resolve = pending.get(id);
      pending.delete(id);
      resolve?.(toDeskResult(result));
    } else if (isDeskEventName(event)) {
      for (const listener of [...(listeners.get(event) ?? [])]) {
        // One failing listener must not keep the event from the others.
        try {
          listener(payload);
        } catch (error) {
          console.error(`carrel: a listener of ${event} failed`, error);
        }
      }
    }
  });

  function call(name: string, args: unknown): Promise<DeskResult<unknown>> {
    if (closed || socket.readyState !== OPEN) return Promise.resolve(closedResult());
    const id = nextId++;
    let text: string;
    try {
      text = JSON.stringify({ id, method: name, args } satisfies DeskWireCall);
    } catch {
      return Promise.resolve(fail('invalid_arguments', `${name}: the arguments are not JSON.`));
    }
    if (utf8Length(text) > deskWebSocket.maxMessageBytes) {
      return Promise.resolve(fail('invalid_arguments', `${name}: the call is too large to send.`));
    }
    return new Promise((resolve) => {
      pending.set(id, resolve);
      socket.send(text);
    });
  }

  const on: DeskEventSubscriber = (event, listener) => {
    const own = (payload: unknown): void => listener(payload as Parameters<typeof listener>[0]);
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set.add(own));
    return () => {
      set.delete(own);
    };
  };

  const client: DeskConnection = {
    ...createDeskClient({ call, on, version: options.version }),
    close() {
      closed = true;
      settleAllPending();
      if (socket.readyState <= OPEN) socket.close(1000);
      return whenClosed;
    },
  };

  return new Promise((resolve, reject) => {
    const refused = (): void =>
      reject(new Error('The desk refused the connection or is not running.'));
    socket.addEventListener('open', () => resolve(client));
    // A refused upgrade (401, 403) shows as an error and a close, with no status in a browser.
    socket.addEventListener('error', refused);
    socket.addEventListener('close', refused);
  });
}
