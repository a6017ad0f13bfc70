// Checks every cell of docs/permissions.md against a real server (issue #6 item 5): for each
// collection x operation x own/other library x role, one fresh document, one real request
// with a real desk token, and the server's answer compared with the table.
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ulid } from 'ulid';
import { startConsortiumServer, type ConsortiumServer } from '../../server/app.js';
import {
  sameValue,
  SYNC_BASE_PATH,
  type DeskCollectionName,
  type PullResponse,
  type PushResponse,
} from '../../shared/index.js';
import { sampleDocuments } from '../../shared/schemas/sample-documents.js';
import { consortium, hold, item, itemBarcode, library } from '../support/desk.js';

type Verdict = 'allowed' | 'refused';
type Operation = 'read' | 'create' | 'update' | 'probe';
type Scope = 'own' | 'other' | 'lent' | 'consortium';
type Role = 'desk' | 'editor';

export interface PermissionRow {
  readonly collection: DeskCollectionName;
  readonly operation: Operation;
  readonly library: Scope;
  readonly expected: Readonly<Record<Role, Verdict>>;
}

export interface PermissionReport {
  readonly cases: number;
  readonly mismatches: string[];
}

/** The table's rows: every markdown table row after the header with five cells. */
export function readPermissionTable(
  path = resolve(import.meta.dirname, '../../docs/permissions.md'),
): PermissionRow[] {
  const rows: PermissionRow[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (cells.length !== 5 || cells[0] === 'collection' || cells[0]?.startsWith('-')) continue;
    const [collection, operation, scope, desk, editor] = cells as [
      string,
      string,
      string,
      string,
      string,
    ];
    rows.push({
      collection: collection as DeskCollectionName,
      operation: operation as Operation,
      library: scope as Scope,
      expected: { desk: desk as Verdict, editor: editor as Verdict },
    });
  }
  return rows;
}

const OWN = 'MAIN';
let serial = 0;
const stamp = (deskId: string) => ({ updatedAt: '2026-11-23T15:00:00.000Z', deskId });

/** A fresh document of `collection` concerning `scope` (own: MAIN; other: EAST and WEST). */
async function freshDocument(
  server: ConsortiumServer,
  collection: DeskCollectionName,
  scope: Scope,
  deskId: string,
): Promise<Record<string, unknown>> {
  serial += 1;
  const here = scope === 'own' ? OWN : 'EAST';
  const away = scope === 'own' ? 'EAST' : 'WEST';
  switch (collection) {
    case 'libraries':
      return scope === 'own'
        ? { ...consortium[0]!, ...stamp(deskId) }
        : { ...library(`NEW${serial}`, `3398${serial % 10}`), ...stamp(deskId) };
    case 'items': {
      const barcode = itemBarcode(here === OWN ? '33907' : '33908', 50_000 + serial);
      if (scope === 'lent') {
        // Another library's copy wanted by a patron picking up here: the hold lends it.
        const wanted = hold(`bib-perm-${serial}`, OWN, { pullLibrary: here, itemBarcode: barcode });
        await server.importDocuments('holds', [{ ...wanted, id: ulid() }]);
      }
      return { ...item(barcode, here), ...stamp(deskId) };
    }
    case 'holds':
      return {
        ...hold(`bib-perm-${serial}`, here, { pullLibrary: here === OWN ? OWN : away }),
        id: ulid(),
        ...stamp(deskId),
      };
    case 'checkins':
      return {
        ...sampleDocuments.checkins,
        id: ulid(),
        library: here,
        outcome: { route: 'reshelve' },
        ...stamp(deskId),
      };
    case 'crates':
      return {
        ...sampleDocuments.crates,
        id: ulid(),
        labelBarcode: `CR-${here}-${serial}`,
        origin: here,
        destination: away,
        ...stamp(deskId),
      };
    case 'crateScans': {
      const crate = await freshDocument(server, 'crates', scope, 'server');
      await server.importDocuments('crates', [crate]);
      return { ...sampleDocuments.crateScans, id: ulid(), crateId: crate['id'], ...stamp(deskId) };
    }
    case 'notes': {
      // The sample is a consortium note, without a library code.
      const note = sampleDocuments.notes;
      return scope === 'consortium'
        ? { ...note, id: ulid(), scope: 'consortium', ...stamp(deskId) }
        : { ...note, id: ulid(), scope: 'library', libraryCode: here, ...stamp(deskId) };
    }
    case 'noteRevisions': {
      const note = await freshDocument(server, 'notes', scope, 'server');
      await server.importDocuments('notes', [note]);
      return { ...sampleDocuments.noteRevisions, id: ulid(), noteId: note['id'], ...stamp(deskId) };
    }
  }
}

/** The change a desk of that collection would push (a desk field where desks have one). */
function changed(collection: DeskCollectionName, doc: Record<string, unknown>) {
  const at = '2026-11-23T16:00:00.000Z';
  switch (collection) {
    case 'items':
      return { ...doc, status: 'available', updatedAt: at };
    case 'holds':
      return {
        ...doc,
        status: 'captured',
        capturedAt: at,
        capturedItemBarcode: itemBarcode('33907', 1),
        updatedAt: at,
      };
    case 'crates':
      return {
        ...doc,
        status: 'sealed',
        sealedAt: at,
        counts: { packed: 1, received: 0, missing: 0, extra: 0 },
        updatedAt: at,
      };
    case 'libraries':
    case 'notes':
    case 'noteRevisions':
      return {
        ...doc,
        ...(collection === 'libraries' ? { name: 'Renamed' } : { title: 'Edited' }),
      };
    case 'checkins':
    case 'crateScans':
      return { ...doc, staff: 'someone-else' };
  }
}

/**
 * A state of `doc` that a desk probing for it makes up: one its own library would see where
 * the collection has scope fields of its own, and dated before the server's, so it is never
 * the server's state (the push is a conflict, whatever the library).
 */
function madeUp(collection: DeskCollectionName, doc: Record<string, unknown>) {
  const old = { ...doc, updatedAt: '2020-01-01T00:00:00.000Z' };
  switch (collection) {
    case 'items':
      return { ...old, owner: OWN, location: OWN, title: 'Made up' };
    case 'holds':
      return { ...old, pickupLibrary: OWN, pullLibrary: OWN };
    case 'checkins':
      return { ...old, library: OWN };
    case 'crates':
      return { ...old, origin: OWN };
    case 'notes':
      return { ...old, scope: 'library', libraryCode: OWN };
    case 'libraries':
    case 'crateScans':
    case 'noteRevisions':
      // Scoped by their parent (crate, note), or seen everywhere.
      return old;
  }
}

/** Whether an answer tells the desk something of `stored` that its own row did not hold. */
function reveals(answer: Record<string, unknown>, stored: Record<string, unknown>, sent: object) {
  const own = sent as Record<string, unknown>;
  return Object.keys(stored).some(
    (field) =>
      field in answer &&
      sameValue(answer[field], stored[field]) &&
      !sameValue(own[field], stored[field]),
  );
}

const keyOf = (collection: DeskCollectionName) =>
  collection === 'libraries' ? 'code' : collection === 'items' ? 'barcode' : 'id';

export async function checkPermissions(rows = readPermissionTable()): Promise<PermissionReport> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-permissions-'));
  const server = await startConsortiumServer({ dataDir: dir });
  const mismatches: string[] = [];
  let cases = 0;
  try {
    await server.importDocuments('libraries', consortium);
    const desks = {} as Record<Role, { deskId: string; token: string }>;
    for (const role of ['desk', 'editor'] as const) {
      const response = await fetch(`${server.url}/v1/enrol`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          code: await server.createEnrolmentCode(OWN, role),
          deskName: role,
        }),
      });
      desks[role] = (await response.json()) as { deskId: string; token: string };
    }
    const request = async <T>(token: string, path: string, body?: unknown) => {
      const response = await fetch(`${server.url}${SYNC_BASE_PATH}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as T };
    };

    for (const row of rows) {
      for (const role of ['desk', 'editor'] as const) {
        cases += 1;
        const { deskId, token } = desks[role];
        const { collection } = row;
        const key = keyOf(collection);
        let verdict: Verdict;
        if (row.operation === 'read') {
          const doc = await freshDocument(server, collection, row.library, 'server');
          await server.importDocuments(collection, [doc]);
          const pulled = await request<PullResponse>(token, `/sync/${collection}/pull?limit=1000`);
          const seen = pulled.body.documents.some(
            (served) => served[key] === doc[key] && !served._deleted,
          );
          verdict = pulled.status === 200 && seen ? 'allowed' : 'refused';
          // A first sync reads the same feed through the pages endpoint: it must agree.
          const pages = await fetch(
            `${server.url}${SYNC_BASE_PATH}/sync/${collection}/pages?limit=1000&pages=50`,
            {
              headers: { authorization: `Bearer ${token}` },
            },
          );
          const lines = (await pages.text()).split('\n').filter((line) => line !== '');
          const seenInPages = lines.some((line) =>
            (JSON.parse(line) as PullResponse).documents.some(
              (served) => served[key] === doc[key] && !served._deleted,
            ),
          );
          if (pages.status !== 200 || seenInPages !== seen) {
            mismatches.push(
              `${collection} read ${row.library} as ${role}: the pull ${seen ? 'serves' : 'does not serve'} it, ` +
                `the pages answer (${pages.status}) ${seenInPages ? 'does' : 'does not'}`,
            );
          }
        } else if (row.operation === 'probe') {
          // A push naming a stored document, based on a state the desk made up (madeUp): the
          // server's answer must tell it nothing of a document its library does not see.
          const doc = await freshDocument(server, collection, row.library, 'server');
          await server.importDocuments(collection, [doc]);
          const assumed = { ...madeUp(collection, { ...doc, ...stamp(deskId) }), _deleted: false };
          const next = { ...changed(collection, assumed), _deleted: false };
          const pushed = await request<PushResponse>(token, `/sync/${collection}/push`, {
            rows: [{ assumedMasterState: assumed, newDocumentState: next }],
          });
          if (pushed.status >= 500 || (pushed.status !== 200 && pushed.status !== 403)) {
            mismatches.push(
              `${collection} probe ${row.library} as ${role}: answered ${pushed.status} ` +
                `${JSON.stringify(pushed.body)}`,
            );
            continue;
          }
          const answers = pushed.status === 200 ? pushed.body.conflicts : [];
          verdict = answers.some((answer) => reveals(answer, doc, next)) ? 'allowed' : 'refused';
        } else {
          // The row names its own desk, so only the rule under test can refuse it.
          const doc = await freshDocument(server, collection, row.library, deskId);
          let assumed: Record<string, unknown> | null = null;
          let next = { ...doc, _deleted: false };
          if (row.operation === 'update') {
            await server.importDocuments(collection, [doc]);
            assumed = { ...doc, _deleted: false };
            next = { ...changed(collection, doc), _deleted: false };
          }
          const pushed = await request<PushResponse>(token, `/sync/${collection}/push`, {
            rows: [{ assumedMasterState: assumed, newDocumentState: next }],
          });
          if (pushed.status >= 500 || (pushed.status !== 200 && pushed.status !== 403)) {
            mismatches.push(
              `${collection} ${row.operation} ${row.library} as ${role}: answered ${pushed.status} ` +
                `${JSON.stringify(pushed.body)}`,
            );
            continue;
          }
          verdict =
            pushed.status === 200 && pushed.body.conflicts.length === 0 ? 'allowed' : 'refused';
        }
        if (verdict !== row.expected[role]) {
          mismatches.push(
            `${collection} ${row.operation} ${row.library} as ${role}: the table says ` +
              `${row.expected[role]}, the server ${verdict}`,
          );
        }
      }
    }
    return { cases, mismatches };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
