// Desks in child processes against a real consortium server, for the multi-desk sync tests:
// start one, drive it over its WebSocket bridge, sync until a condition holds, and compare what
// a desk holds with what the server serves it.
//
// Each desk runs in its own process (test/fixtures/sync-desk.ts, startDesk with the WebSocket
// bridge): RxDB's open-source build opens at most 13 collections per process and a desk has 8.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { expect } from 'vitest';
import { openDeskStore } from '../../main/store/index.js';
import { keyOf } from './server-view.js';
export { keyOf, serverView } from './server-view.js';
import { connectWebSocketDeskClient, type DeskConnection } from '../../shared/api/client.js';
import {
  replicatedCollections,
  sameValue,
  type DeskCollectionName,
  type DeskResult,
  type SyncStatus,
  type WireDocument,
} from '../../shared/index.js';

export interface RunningDesk {
  readonly dataDir: string;
  readonly client: DeskConnection;
  readonly stderr: string[];
  close(): Promise<void>;
}

export async function startDeskProcess(dataDir: string): Promise<RunningDesk> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', 'fixtures', 'sync-desk.ts'), dataDir],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<void>((done) => child.on('close', () => done()));
  const first = await new Promise<string>((done, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', done);
    child.once('close', () => fail(new Error(`desk process ended: ${stderr.join('')}`)));
  });
  const bridge = JSON.parse(first) as { url: string; token: string };
  const client = await connectWebSocketDeskClient({
    url: bridge.url,
    token: bridge.token,
    version: 'test',
    WebSocketImpl: WebSocket,
  });
  return {
    dataDir,
    client,
    stderr,
    async close() {
      await client.close();
      child.stdin.end();
      await exited;
    },
  };
}

export function value<T>(result: DeskResult<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

/**
 * Waits until `done` holds for the desk's sync status (or fails with the last one). Asks the
 * desk to sync now at most every two seconds and reads its status in between: the live
 * stream does the rest, and the server limits how often a desk may call it.
 */
export async function syncUntil(
  desk: RunningDesk,
  done: (status: SyncStatus) => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<SyncStatus> {
  const started = Date.now();
  let lastNow = 0;
  for (;;) {
    const now = Date.now() - lastNow >= 2_000;
    if (now) lastNow = Date.now();
    const status = value(await (now ? desk.client.sync.now({}) : desk.client.sync.status({})));
    if (await done(status)) return status;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${what}: still ${JSON.stringify(status)}\n${desk.stderr.join('')}`);
    }
    await new Promise((wait) => setTimeout(wait, 200));
  }
}

export const inSync = (status: SyncStatus) => status.state === 'online' && status.pending === 0;

/**
 * Enrols a desk with a one-time code for `library`, waits for its first sync to finish, and
 * signs staff in (initials: the library code's first two letters).
 */
export async function enrolAndSignIn(
  desk: RunningDesk,
  server: { readonly url: string; createEnrolmentCode(library: string): Promise<string> },
  library: string,
): Promise<void> {
  value(
    await desk.client.sync.enrol({
      serverUrl: server.url,
      code: await server.createEnrolmentCode(library),
      deskName: `${library} circulation`,
    }),
  );
  await syncUntil(desk, inSync, `${library} first sync`);
  value(await desk.client.staff.signIn({ initials: library.slice(0, 2) }));
}

/** The desk's documents (its store opened here, after its process closed) in wire form. */
export async function deskView(dataDir: string): Promise<Map<DeskCollectionName, WireDocument[]>> {
  const store = await openDeskStore({ dataDir });
  try {
    const view = new Map<DeskCollectionName, WireDocument[]>();
    for (const name of replicatedCollections) {
      const docs = await store.data.find(name, { selector: {} });
      view.set(
        name,
        docs.map(
          (doc) =>
            Object.fromEntries(
              Object.entries(doc).filter(
                ([key]) => !['_rev', '_meta', '_attachments'].includes(key),
              ),
            ) as WireDocument,
        ),
      );
    }
    return view;
  } finally {
    await store.close();
  }
}

/** The desk holds every live document the server sends it, as the server has it, and the
 * server holds every document this desk wrote, as the desk has it. */
export function expectConverged(
  desk: Map<DeskCollectionName, WireDocument[]>,
  server: Map<DeskCollectionName, WireDocument[]>,
  deskId: string,
): void {
  for (const name of replicatedCollections) {
    const local = new Map((desk.get(name) ?? []).map((doc) => [keyOf(name, doc), doc]));
    const remote = new Map((server.get(name) ?? []).map((doc) => [keyOf(name, doc), doc]));
    for (const [key, doc] of remote) {
      if (doc._deleted) continue;
      expect(local.has(key), `${name}/${key} from the server is at the desk`).toBe(true);
      expect(sameValue(local.get(key), doc), `${name}/${key} is the same at the desk`).toBe(true);
    }
    for (const [key, doc] of local) {
      if (doc['deskId'] !== deskId) continue;
      expect(sameValue(remote.get(key), doc), `${name}/${key} written here is on the server`).toBe(
        true,
      );
    }
  }
}
