// The browser version of the desk (`npm run start:web`, the end-to-end tests): a whole desk core
// with its loopback WebSocket bridge, and a loopback HTTP server for its page. The page asks
// /desk-config.json for the bridge's token and connects to /desk on the same origin: this
// server passes that upgrade through to the bridge, so the page's content security policy
// (`connect-src 'self'`) holds unchanged, and the bridge still checks token and origin itself.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, Socket, type AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { deskWebSocket } from '../../shared/api/client.js';
import { startDesk, type Desk, type DeskOptions } from '../app.js';
import { defaultRendererDir, ensureRendererBuilt } from './renderer-build.js';

export interface WebDeskOptions {
  readonly dataDir: string;
  /** The page's port on 127.0.0.1; 0 (the default) lets the system pick one. */
  readonly port?: number;
  /** The built page; out/renderer by default, built there first if missing or stale. */
  readonly rendererDir?: string;
  /** Build the page when it is missing or stale (default true). */
  readonly build?: boolean;
  readonly version?: string;
  readonly sync?: DeskOptions['sync'];
  readonly log?: (line: string) => void;
}

export interface WebDesk {
  /** The page: `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly desk: Desk;
  /** Stops serving the page and closes the desk. */
  close(): Promise<void>;
}

/** What the page reads at /desk-config.json; the bridge is `/desk` on the page's origin. */
export interface WebDeskConfig {
  readonly token: string;
  readonly version: string;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

const baseHeaders = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
};

function send(response: ServerResponse, status: number, type: string, body: string | Buffer) {
  response.writeHead(status, { ...baseHeaders, 'Content-Type': type }).end(body);
}

/** The file under `root` a request path names, or undefined if it would leave `root`. */
function fileFor(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const relative = normalize(decoded === '/' ? '/index.html' : decoded);
  const path = join(root, relative);
  return path.startsWith(root + sep) ? path : undefined;
}

export async function startWebDesk(options: WebDeskOptions): Promise<WebDesk> {
  const log = options.log ?? ((line: string) => console.error(line));
  const rendererDir = resolve(options.rendererDir ?? defaultRendererDir);
  if (options.build !== false) await ensureRendererBuilt(rendererDir, log);

  // Bound first: the bridge admits only pages from this origin, so it must know the port.
  const late: { desk?: Desk; bridgePort?: number } = {};
  const server = createServer((request, response) => {
    void serve(request, response).catch((error: unknown) => {
      log(`carrel: the web desk failed to answer ${request.url ?? ''}: ${String(error)}`);
      if (!response.headersSent) send(response, 500, 'text/plain', 'Internal error');
    });
  });
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(options.port ?? 0, '127.0.0.1', () => listening());
  });
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  const origin = `http://${host}`;

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Another host name resolving here (DNS rebinding) must not reach the token.
    if (request.headers.host !== host) return send(response, 421, 'text/plain', 'Wrong host');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(response, 405, 'text/plain', 'Method not allowed');
    }
    const { pathname } = new URL(request.url ?? '/', origin);
    const desk = late.desk;
    if (pathname === '/desk-config.json') {
      if (!desk?.webSocket) return send(response, 503, 'text/plain', 'The desk is starting');
      const config: WebDeskConfig = {
        token: desk.webSocket.token,
        version: desk.context.version,
      };
      return send(response, 200, 'application/json', JSON.stringify(config));
    }
    const path = fileFor(rendererDir, pathname);
    if (!path) return send(response, 404, 'text/plain', 'Not found');
    try {
      const body = await readFile(path);
      return send(response, 200, contentTypes[extname(path)] ?? 'application/octet-stream', body);
    } catch {
      return send(response, 404, 'text/plain', 'Not found');
    }
  }

  // The page's WebSocket: passed through byte for byte to the bridge, which does the upgrade.
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = new URL(request.url ?? '/', origin).pathname;
    if (request.headers.host !== host || path !== deskWebSocket.path || !late.bridgePort) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Small messages both ways, each waited for: Nagle's algorithm would hold them back.
    if (socket instanceof Socket) socket.setNoDelay(true);
    const upstream = connect({ port: late.bridgePort, host: '127.0.0.1', noDelay: true }, () => {
      const lines = [`${request.method ?? 'GET'} ${request.url ?? '/'} HTTP/1.1`];
      for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
        lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  });

  let desk: Desk;
  try {
    desk = await startDesk({
      dataDir: options.dataDir,
      ...(options.version === undefined ? {} : { version: options.version }),
      webSocket: { allowedOrigins: [origin] },
      ...(options.sync === undefined ? {} : { sync: options.sync }),
    });
  } catch (error) {
    await new Promise<void>((closed) => server.close(() => closed()));
    throw error;
  }
  if (!desk.webSocket) throw new Error('startDesk did not start the WebSocket bridge.');
  late.desk = desk;
  late.bridgePort = Number(new URL(desk.webSocket.url).port);

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/`,
    desk,
    close() {
      closing ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((closed) => server.close(() => closed()));
        await desk.close();
      })();
      return closing;
    },
  };
}
