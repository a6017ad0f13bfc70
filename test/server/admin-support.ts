// A real consortium server on a temporary data folder, and the HTTP calls the administration
// tests make to it: as the administrator, and as enrolled desks pushing and pulling.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import {
  startConsortiumServer,
  type ConsortiumServer,
  type ConsortiumServerOptions,
} from '../../server/app.js';
import type { PullResponse, PushResponse, WireDocument } from '../../shared/index.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface Answer<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  readonly headers: Headers;
}

export interface AdminTestServer {
  readonly server: ConsortiumServer;
  readonly dir: string;
  /** A request with the admin token (or `token`); `csv` sends text/csv, `json` JSON. */
  call<T = unknown>(
    method: string,
    path: string,
    body?: { json: unknown } | { csv: string },
    token?: string | null,
  ): Promise<Answer<T>>;
  /** Adds NORTH, SOUTH and WEST (America/Chicago; prefixes 31234, 31235, 31236). */
  addMembers(): Promise<void>;
  enrolDesk(library: string): Promise<{ deskId: string; token: string }>;
  /** Everything a desk sees of a collection, and the checkpoint reached. */
  pull(token: string, collection: string): Promise<{ documents: WireDocument[]; seq: number }>;
  push(
    token: string,
    collection: string,
    rows: { assumedMasterState: WireDocument | null; newDocumentState: WireDocument }[],
  ): Promise<Answer<PushResponse>>;
  close(): Promise<void>;
}

/**
 * A crate sealed by `deskId` of `origin` for `destination`: opened and sealed at `at` (now by
 * default), with `packed` items (1 by default).
 */
export function sealedCrate(
  origin: string,
  destination: string,
  deskId: string,
  { at = new Date().toISOString(), packed = 1 }: { at?: string; packed?: number } = {},
): WireDocument {
  return {
    id: ulid(),
    labelBarcode: `CRATE-${ulid()}`,
    origin,
    destination,
    status: 'sealed',
    openedAt: at,
    sealedAt: at,
    counts: { packed, received: 0, missing: 0, extra: 0 },
    discrepancies: [],
    updatedAt: at,
    deskId,
    _deleted: false,
  };
}

export const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ils', name), 'utf8');

export async function startAdminTestServer(
  extra: Partial<ConsortiumServerOptions> = {},
): Promise<AdminTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-admin-'));
  const server = await startConsortiumServer({ dataDir: dir, adminToken: ADMIN_TOKEN, ...extra });

  const call: AdminTestServer['call'] = async (method, path, body, token = ADMIN_TOKEN) => {
    const headers: Record<string, string> =
      token === null ? {} : { authorization: `Bearer ${token}` };
    let payload: string | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers['content-type'] = 'text/csv; charset=utf-8';
      payload = body.csv;
    }
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
    });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('application/json');
    return {
      status: response.status,
      body: (json ? JSON.parse(text) : null) as never,
      text,
      headers: response.headers,
    };
  };

  return {
    server,
    dir,
    call,
    async addMembers() {
      for (const [code, prefix] of [
        ['NORTH', '31234'],
        ['SOUTH', '31235'],
        ['WEST', '31236'],
      ] as const) {
        const added = await call('POST', '/v1/admin/libraries', {
          json: {
            code,
            name: `${code[0]}${code.slice(1).toLowerCase()} Library`,
            timeZone: 'America/Chicago',
            barcodePrefixes: [prefix],
            courierStop: `STOP-${code}`,
          },
        });
        if (added.status !== 201) throw new Error(`adding ${code}: ${added.text}`);
      }
    },
    async enrolDesk(library) {
      const code = await call<{ code: string }>('POST', '/v1/admin/desks/enrolment-codes', {
        json: { library },
      });
      const enrolled = await call<{ deskId: string; token: string }>(
        'POST',
        '/v1/enrol',
        { json: { code: code.body.code, deskName: `${library} desk` } },
        null,
      );
      if (enrolled.status !== 200) throw new Error(`enrolling at ${library}: ${enrolled.text}`);
      return enrolled.body;
    },
    async pull(token, collection) {
      const documents: WireDocument[] = [];
      let seq = 0;
      for (;;) {
        const page = await call<PullResponse>(
          'GET',
          `/v1/sync/${collection}/pull?limit=1000${seq > 0 ? `&after=${seq}` : ''}`,
          undefined,
          token,
        );
        documents.push(...page.body.documents);
        seq = page.body.checkpoint?.seq ?? seq;
        if (page.body.documents.length < 1000) return { documents, seq };
      }
    },
    push: (token, collection, rows) =>
      call<PushResponse>('POST', `/v1/sync/${collection}/push`, { json: { rows } }, token),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
