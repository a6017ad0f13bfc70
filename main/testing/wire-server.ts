// Test support, not used by the app: a scripted stand-in for the consortium server's wire
// protocol (shared/sync/wire.ts), so the desk's replication client can be tested against
// failures the real server cannot be made to produce on cue: dropped connections, refused
// tokens, a skewed clock, slow answers, streams that break off. It is real HTTP on a loopback
// port with an in-memory store and no scopes or write rules; test/sync/two-desks.test.ts runs
// desks against the real server (server/app.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HISTORY_HEADER,
  RESYNC_HEADER,
  MAX_PULL_PAGES,
  PULL_PAGES_TYPE,
  SYNC_BASE_PATH,
  sameValue,
  type DeskCollectionName,
  type PushRow,
  type StreamMessage,
  type WireDocument,
} from '../../shared/index.js';

/** What a hook may do with a request instead of the normal answer. */
export type ScriptedAnswer =
  | 'drop'
  | {
      readonly status: number;
      readonly body: unknown;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | undefined
  | void;

export interface ScriptedRequest {
  readonly method: string;
  /** The path without the base path and query, e.g. `/sync/items/pull`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization: string | undefined;
  /** The history a desk that synced everything again names (RESYNC_HEADER). */
  readonly resync: string | undefined;
  readonly body: unknown;
}

export interface ScriptedWireServerOptions {
  /** The desk token it accepts; others are answered 401 unauthorized. */
  readonly token: string;
  /** Runs before every answer; may delay it, replace it, or drop the connection. */
  readonly hook?: (request: ScriptedRequest) => ScriptedAnswer | Promise<ScriptedAnswer>;
  /** False: a server from before the pages endpoint, which answers it 404 `not_found`. */
  readonly pages?: boolean;
  /**
   * Runs before each page a pull or a pages answer reads (a pages answer reads its next page
   * once the one before went out); may delay it.
   */
  readonly onPage?: (collection: DeskCollectionName) => Promise<void> | void;
}

export interface ScriptedWireServer {
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: ScriptedRequest[];
  /** Stream connections opened so far. */
  streamsOpened(): number;
  /** Added to the server's clock in its `Date` headers. */
  clockSkewMs: number;
  /** The database history every answer names (HISTORY_HEADER); none when undefined. */
  history: string | undefined;
  /** The server's current version of every document of a collection (deleted ones too). */
  documents(collection: DeskCollectionName): WireDocument[];
  /** Writes documents as the server itself would (an ILS import), telling the streams. */
  put(collection: DeskCollectionName, docs: readonly Record<string, unknown>[]): void;
  /** Loses a document, as a database restored from an older backup does (no stream message). */
  forget(collection: DeskCollectionName, key: string): void;
  /** Ends every open event stream (the connection drops; desks reconnect). */
  dropStreams(): void;
  /** Sends a message to every open event stream. */
  broadcast(message: StreamMessage): void;
  /**
   * The next pages answer breaks off (its connection is destroyed) after this many whole
   * pages and half of the next; once, then it is undefined again.
   */
  cutPagesAfter: number | undefined;
  close(): Promise<void>;
}

const primaryKeys: Partial<Record<DeskCollectionName, string>> = {
  libraries: 'code',
  items: 'barcode',
};
const keyOf = (collection: DeskCollectionName, doc: Record<string, unknown>) =>
  String(doc[primaryKeys[collection] ?? 'id']);

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function startScriptedWireServer(
  options: ScriptedWireServerOptions,
): Promise<ScriptedWireServer> {
  let seq = 0;
  const store = new Map<DeskCollectionName, Map<string, { doc: WireDocument; seq: number }>>();
  const streams = new Set<ServerResponse>();
  let opened = 0;
  const requests: ScriptedRequest[] = [];

  const collection = (name: DeskCollectionName) => {
    let docs = store.get(name);
    if (!docs) {
      docs = new Map<string, { doc: WireDocument; seq: number }>();
      store.set(name, docs);
    }
    return docs;
  };
  const write = (name: DeskCollectionName, doc: WireDocument) => {
    seq += 1;
    collection(name).set(keyOf(name, doc), { doc, seq });
  };
  const send = (response: ServerResponse, message: StreamMessage) =>
    response.write(`data: ${JSON.stringify(message)}\n\n`);
  const changed = (name: DeskCollectionName) => {
    for (const stream of streams) {
      send(stream, { type: 'changed', collection: name, checkpoint: { seq } });
    }
  };

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const scripted: ScriptedRequest = {
        method: request.method ?? 'GET',
        path: url.pathname.slice(SYNC_BASE_PATH.length),
        query: url.searchParams,
        authorization: request.headers.authorization,
        resync: request.headers[RESYNC_HEADER] as string | undefined,
        body: await readBody(request),
      };
      requests.push(scripted);
      response.sendDate = false;
      response.setHeader('date', new Date(Date.now() + self.clockSkewMs).toUTCString());
      if (self.history !== undefined) response.setHeader(HISTORY_HEADER, self.history);
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        response.writeHead(status, { 'content-type': 'application/json', ...headers });
        response.end(JSON.stringify(body));
      };
      const scriptedAnswer = await options.hook?.(scripted);
      if (scriptedAnswer === 'drop') {
        request.socket.destroy();
        return;
      }
      if (scriptedAnswer) {
        json(scriptedAnswer.status, scriptedAnswer.body, { ...scriptedAnswer.headers });
        return;
      }
      if (scripted.authorization !== `Bearer ${options.token}`) {
        json(401, { error: { code: 'unauthorized', message: 'This desk token is not known.' } });
        return;
      }
      if (scripted.path === '/sync/stream') {
        opened += 1;
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        streams.add(response);
        request.on('close', () => streams.delete(response));
        send(response, { type: 'RESYNC' });
        return;
      }
      const match = /^\/sync\/([A-Za-z]+)\/(pull|push|pages)$/.exec(scripted.path);
      const name = match?.[1] as DeskCollectionName | undefined;
      if (!match || !name || (match[2] === 'pages' && options.pages === false)) {
        json(404, { error: { code: 'not_found', message: 'No such endpoint.' } });
        return;
      }
      const limit = Number(scripted.query.get('limit') ?? 100);
      const pull = (after: number) => {
        const page = [...collection(name).values()]
          .filter((entry) => entry.seq > after)
          .sort((a, b) => a.seq - b.seq)
          .slice(0, limit);
        return {
          documents: page.map((entry) => entry.doc),
          checkpoint: { seq: page.at(-1)?.seq ?? after },
        };
      };
      if (match[2] === 'pull') {
        await options.onPage?.(name);
        json(200, pull(Number(scripted.query.get('after') ?? 0)));
        return;
      }
      if (match[2] === 'pages') {
        const pages = Math.min(Number(scripted.query.get('pages') ?? 1), MAX_PULL_PAGES);
        const cut = self.cutPagesAfter;
        self.cutPagesAfter = undefined;
        response.writeHead(200, { 'content-type': PULL_PAGES_TYPE });
        let after = Number(scripted.query.get('after') ?? 0);
        for (let n = 0; n < pages; n += 1) {
          await options.onPage?.(name);
          const page = pull(after);
          const line = `${JSON.stringify(page)}\n`;
          if (n === cut) {
            response.write(line.slice(0, line.length >> 1), () => request.socket.destroy());
            return;
          }
          if (!response.write(line))
            await new Promise((drained) => response.once('drain', drained));
          if (page.documents.length < limit) break;
          after = page.checkpoint.seq;
        }
        response.end();
        return;
      }
      const rows = (scripted.body as { rows?: PushRow[] } | undefined)?.rows ?? [];
      const conflicts: WireDocument[] = [];
      for (const row of rows) {
        const current = collection(name).get(keyOf(name, row.newDocumentState))?.doc;
        if (sameValue(current ?? null, row.assumedMasterState)) write(name, row.newDocumentState);
        else if (current && !sameValue(current, row.newDocumentState)) conflicts.push(current);
      }
      if (rows.length > 0) changed(name);
      json(200, { conflicts });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const self: ScriptedWireServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    streamsOpened: () => opened,
    clockSkewMs: 0,
    history: undefined,
    cutPagesAfter: undefined,
    documents: (name) => [...collection(name).values()].map((entry) => entry.doc),
    put(name, docs) {
      for (const doc of docs) write(name, { ...doc, _deleted: false });
      changed(name);
    },
    forget(name, key) {
      collection(name).delete(key);
    },
    dropStreams() {
      for (const stream of streams) stream.destroy();
      streams.clear();
    },
    broadcast(message) {
      for (const stream of streams) send(stream, message);
    },
    async close() {
      self.dropStreams();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return self;
}
