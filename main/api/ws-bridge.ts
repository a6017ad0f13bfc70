// The desk API over a WebSocket on the loopback interface, so the same UI runs in a browser
// (end-to-end tests, development) as in the desk app. It serves exactly what the IPC bridge
// serves: every call goes through the dispatcher, every event comes from the event hub.
//
// Who may connect: only a process on this machine (loopback only) that holds the token of
// this start, presented as the first subprotocol `carrel.<token>` and checked before the
// upgrade; with `allowedOrigins`, a browser page only from one of those origins. Nothing a
// client sends can stop the process: unreadable messages are answered, never thrown.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { deskWebSocket, type DeskWireAnswer, type DeskWireEvent } from '../../shared/api/client.js';
import { fail, type DeskResult } from '../../shared/api/index.js';
import type { DeskDispatcher, DeskEventHub } from './dispatcher.js';

export interface WebSocketBridgeOptions {
  readonly dispatcher: DeskDispatcher;
  readonly events: DeskEventHub;
  /** A loopback address: 127.x.x.x or ::1 (default 127.0.0.1). Anything else is refused. */
  readonly host?: string;
  /** 0 (the default) lets the system pick a free port. */
  readonly port?: number;
  /** At least 16 base64url characters; by default a random one for each start. */
  readonly token?: string;
  /** When given, a connection whose `Origin` header is not one of these is refused (403). */
  readonly allowedOrigins?: readonly string[];
  readonly log?: (line: string) => void;
}

export interface WebSocketBridge {
  /** `ws://127.0.0.1:<port>/desk` */
  readonly url: string;
  readonly token: string;
  readonly port: number;
  /** Closes every connection (close code 1001) and the port; resolves when both are gone. */
  close(): Promise<void>;
}

/**
 * A message above this is cut off by ws and its connection closed (1009); one between
 * `deskWebSocket.maxMessageBytes` and this is answered and the connection stays usable.
 */
const maxPayloadBytes = 1024 * 1024;
/** How long `close()` waits for clients to finish the closing handshake before cutting them. */
const closeGraceMs = 1000;
const tokenForm = /^[A-Za-z0-9_-]{16,}$/;

/** True for an IP literal on the loopback interface; host names (even localhost) are not. */
export function isLoopbackAddress(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return new URL(`http://[${host}]/`).hostname === '[::1]';
  return false;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Compares in time independent of where the two differ (hashing first evens out lengths). */
function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}

function firstProtocol(request: IncomingMessage): string | undefined {
  const header = request.headers['sec-websocket-protocol'];
  return typeof header === 'string' ? header.split(',')[0]?.trim() : undefined;
}

function pathOf(request: IncomingMessage): string | undefined {
  try {
    return new URL(request.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

function refuseUpgrade(socket: Duplex, status: 401 | 403 | 404, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

type ReadCall =
  | { readonly ok: true; readonly id: number; readonly method: string; readonly args: unknown }
  | { readonly ok: false; readonly id: number | null; readonly result: DeskResult<never> };

function unreadable(id: number | null, message: string): ReadCall {
  return { ok: false, id, result: fail('invalid_arguments', message) };
}

/** Reads `{ id, method, args }` from a message, or says why not (with the id if it has one). */
function readCall(data: RawData, isBinary: boolean): ReadCall {
  const bytes = Array.isArray(data)
    ? Buffer.concat(data)
    : Buffer.isBuffer(data)
      ? data
      : Buffer.from(data);
  if (bytes.byteLength > deskWebSocket.maxMessageBytes) {
    return unreadable(null, `A call may be at most ${deskWebSocket.maxMessageBytes} bytes.`);
  }
  if (isBinary) return unreadable(null, 'A call must be a JSON text message.');
  let message: unknown;
  try {
    message = JSON.parse(bytes.toString('utf8'));
  } catch {
    return unreadable(null, 'A call must be JSON.');
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return unreadable(null, 'A call must be an object { id, method, args }.');
  }
  const { id, method, args } = message as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    return unreadable(null, 'A call needs an integer "id".');
  }
  const extra = Object.keys(message).filter((key) => !['id', 'method', 'args'].includes(key));
  if (extra.length > 0) return unreadable(id, 'A call has only "id", "method" and "args".');
  if (typeof method !== 'string') return unreadable(id, 'A call needs a string "method".');
  return { ok: true, id, method, args };
}

export async function startWebSocketBridge(
  options: WebSocketBridgeOptions,
): Promise<WebSocketBridge> {
  const { dispatcher, events, host = '127.0.0.1', port = 0, allowedOrigins } = options;
  const log = options.log ?? ((line: string) => console.error(line));
  if (!isLoopbackAddress(host)) {
    throw new Error(`The desk's WebSocket bridge binds loopback addresses only, not ${host}.`);
  }
  const token = options.token ?? randomBytes(32).toString('base64url');
  if (!tokenForm.test(token)) {
    throw new Error("The bridge's token must be at least 16 base64url characters.");
  }
  const expectedProtocol = `${deskWebSocket.protocolPrefix}${token}`;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxPayloadBytes,
    // The token protocol was checked at the upgrade; a browser needs it echoed back.
    handleProtocols: (protocols) => protocols.values().next().value ?? false,
  });

  const server = createServer((request, response) => {
    // Plain HTTP: point a client at the upgrade, tell everyone else there is nothing here.
    if (pathOf(request) === deskWebSocket.path) {
      response.writeHead(426, { Upgrade: 'websocket', Connection: 'close' }).end();
    } else {
      response.writeHead(404, { Connection: 'close' }).end();
    }
  });

  let closing: Promise<void> | undefined;
  server.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (closing) return void socket.destroy();
    if (pathOf(request) !== deskWebSocket.path) return refuseUpgrade(socket, 404, 'Not Found');
    const origin = request.headers.origin;
    if (allowedOrigins !== undefined && origin !== undefined && !allowedOrigins.includes(origin)) {
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    const protocol = firstProtocol(request);
    if (protocol === undefined || !sameSecret(protocol, expectedProtocol)) {
      return refuseUpgrade(socket, 401, 'Unauthorized');
    }
    wss.handleUpgrade(request, socket, head, (client) => wss.emit('connection', client, request));
  });

  function send(client: WebSocket, message: DeskWireAnswer): void {
    if (client.readyState !== WebSocket.OPEN) return;
    client.send(JSON.stringify(message), (error) => {
      if (error) log(`carrel: the WebSocket bridge could not send: ${error.message}`);
    });
  }

  async function answer(client: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
    const call = readCall(data, isBinary);
    if (!call.ok) return send(client, { id: call.id, result: call.result });
    const result = await dispatcher.call(call.method, call.args);
    try {
      send(client, { id: call.id, result });
    } catch (error) {
      // An answer JSON cannot carry (a cycle, a BigInt): the handler's bug, not the client's.
      log(`carrel: ${call.method} answered something JSON cannot carry: ${String(error)}`);
      send(client, {
        id: call.id,
        result: fail('internal', 'The desk could not send its answer.'),
      });
    }
  }

  wss.on('connection', (client) => {
    client.on('message', (data, isBinary) => {
      answer(client, data, isBinary).catch((error: unknown) => {
        log(`carrel: the WebSocket bridge failed on a message: ${String(error)}`);
      });
    });
    // ws reports a protocol violation or an over-long message here and closes the connection.
    client.on('error', (error) => log(`carrel: a WebSocket connection failed: ${error.message}`));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log(`carrel: the WebSocket bridge failed: ${error.message}`));

  const unsubscribe = events.subscribe((event, payload) => {
    // TypeScript cannot pair a generic event with its payload; the hub did (emit<E>).
    const message = { event, payload } as DeskWireEvent;
    const text = JSON.stringify(message); // once, for every connection
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(text);
    }
  });

  const boundPort = (server.address() as AddressInfo).port;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;

  return {
    url: `ws://${urlHost}:${boundPort}${deskWebSocket.path}`,
    token,
    port: boundPort,
    close() {
      closing ??= new Promise<void>((resolve) => {
        unsubscribe();
        for (const client of wss.clients) client.close(1001, 'The desk is closing.');
        const cutOff = setTimeout(() => {
          for (const client of wss.clients) client.terminate();
          server.closeAllConnections();
        }, closeGraceMs);
        wss.close();
        server.close(() => {
          clearTimeout(cutOff);
          resolve();
        });
      });
      return closing;
    },
  };
}
