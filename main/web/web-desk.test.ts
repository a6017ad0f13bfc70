// The browser version's page server, on a real desk and real loopback sockets: it serves the
// built page and the bridge's token to its own origin only, refuses other host names (DNS
// rebinding) and paths outside the page, and passes the page's WebSocket through to the
// bridge, whose origin check still holds.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocketDeskClient, type DeskSocketConstructor } from '../../shared/api/client.js';
import { rendererIsStale } from './renderer-build.js';
import { startWebDesk, type WebDesk } from './web-desk.js';

const scratch = mkdtempSync(join(tmpdir(), 'carrel-web-desk-'));
const pageDir = join(scratch, 'renderer');
let web: WebDesk;

beforeAll(async () => {
  mkdirSync(join(pageDir, 'assets'), { recursive: true });
  writeFileSync(join(pageDir, 'index.html'), '<!doctype html><title>Carrel</title>');
  writeFileSync(join(pageDir, 'assets', 'app.js'), 'console.log("page")');
  writeFileSync(join(scratch, 'secret.txt'), 'not for the page');
  web = await startWebDesk({ dataDir: join(scratch, 'desk'), rendererDir: pageDir, build: false });
});

afterAll(async () => {
  await web?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** A raw GET (fetch would normalise `..` and refuse to set Host). */
function get(
  path: string,
  options: { host?: string; method?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(web.url);
  return new Promise((resolve, reject) => {
    const call = request(
      {
        host: '127.0.0.1',
        port: url.port,
        path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? url.host },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    call.on('error', reject);
    call.end();
  });
}

/** The `ws` WebSocket presenting a given Origin header, as a browser page would. */
function socketFrom(origin: string): DeskSocketConstructor {
  return class extends WebSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols, { origin });
    }
  };
}

describe('the web desk', () => {
  it('serves the page on 127.0.0.1 with no caching and no sniffing', async () => {
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Carrel</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-store');
    const asset = await get('/assets/app.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it("hands its own page the bridge's token", async () => {
    const config = await get('/desk-config.json');
    expect(config.status).toBe(200);
    expect(JSON.parse(config.body)).toEqual({
      token: web.desk.webSocket?.token,
      version: web.desk.context.version,
    });
  });

  it('refuses another host name, paths outside the page, and writes', async () => {
    const rebound = await get('/desk-config.json', {
      host: `attacker.example:${new URL(web.url).port}`,
    });
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain(web.desk.webSocket?.token ?? 'no token');
    for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/assets/../../secret.txt']) {
      const outside = await get(path);
      expect(outside.status, path).toBe(404);
      expect(outside.body, path).not.toContain('not for the page');
    }
    expect((await get('/missing.js')).status).toBe(404);
    expect((await get('/', { method: 'POST' })).status).toBe(405);
  });

  it("passes the page's WebSocket through to the desk, from its own origin only", async () => {
    const origin = new URL(web.url).origin;
    const token = web.desk.webSocket?.token ?? '';
    const url = `ws://${new URL(web.url).host}/desk`;
    const client = await connectWebSocketDeskClient({
      url,
      token,
      version: 'test',
      WebSocketImpl: socketFrom(origin),
    });
    try {
      const status = await client.desk.status({});
      expect(status).toMatchObject({ ok: true, value: { library: null } });
    } finally {
      await client.close();
    }
    await expect(
      connectWebSocketDeskClient({
        url,
        token,
        version: 'test',
        WebSocketImpl: socketFrom('http://attacker.example'),
      }),
    ).rejects.toThrow(/refused/);
    await expect(
      connectWebSocketDeskClient({
        url,
        token: 'x'.repeat(43),
        version: 'test',
        WebSocketImpl: socketFrom(origin),
      }),
    ).rejects.toThrow(/refused/);
  });

  it('builds the page again only when a source is newer than the build', () => {
    const built = join(scratch, 'built');
    expect(rendererIsStale(built)).toBe(true);
    mkdirSync(built);
    writeFileSync(join(built, 'index.html'), '');
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(join(built, 'index.html'), future, future);
    expect(rendererIsStale(built)).toBe(false);
    // A build from 1970: every source is newer.
    utimesSync(join(built, 'index.html'), new Date(0), new Date(0));
    expect(rendererIsStale(built)).toBe(true);
  });
});
