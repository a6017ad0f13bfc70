// The replication layer is generic (issue #4): a test registers a collection of its own (with
// its schema, its scope rule and its write rule) on a real server, and desks pull, push and
// hear of it over /v1/sync exactly as they do the domain collections. Parcels are seen by the
// libraries they list; a desk may write a parcel its own library is among, before and after.
import type { RxJsonSchema } from 'rxdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamMessage, WireDocument } from '../../shared/index.js';
import { defineCollection, type Refusal, type WriteRule } from '../../server/store/index.js';
import { parcels as storeParcels, tools, type Parcel } from '../../server/store/testing/parcels.js';
import { streamMessages } from '../support/stream-messages.js';
import { startAdminTestServer, type AdminTestServer } from './admin-support.js';

/** A parcel as desks write it: the store's test parcel, with the desk that wrote it. */
type DeskParcel = Parcel & { deskId: string };

/** The store's parcel schema with the desk that wrote the parcel, which desks must name. */
const deskParcelSchema = {
  ...storeParcels.schema,
  properties: { ...storeParcels.schema.properties, deskId: { type: 'string' } },
  required: [...(storeParcels.schema.required as string[]), 'deskId'],
} as RxJsonSchema<DeskParcel>;

const refusal: Refusal = {
  code: 'forbidden',
  message: 'A desk writes parcels its own library is among.',
};

const ownParcelsOnly: WriteRule<DeskParcel> = (desk, next, master) =>
  next.libraries.includes(desk.library) && (!master || master.libraries.includes(desk.library))
    ? null
    : refusal;

const parcels = defineCollection<DeskParcel>({
  name: 'parcels',
  primaryKey: 'id',
  schema: deskParcelSchema,
  scope: (parcel) => parcel.libraries,
  departed: ({ secret: _secret, ...parcel }) => parcel,
  replicatedToDesks: true,
  write: ownParcelsOnly,
});

/** The same documents, served to desks but with no write rule: read-only for them. */
const sealedParcels = defineCollection<DeskParcel>({
  name: 'sealedParcels',
  primaryKey: 'id',
  schema: deskParcelSchema,
  scope: (parcel) => parcel.libraries,
  replicatedToDesks: true,
});

let admin: AdminTestServer;
let north: { deskId: string; token: string };
let south: { deskId: string; token: string };

const parcel = (id: string, libraries: string[], deskId: string, extra = {}): WireDocument => ({
  id,
  libraries,
  label: `parcel ${id}`,
  deskId,
  ...extra,
  _deleted: false,
});

const pushNew = (token: string, collection: string, doc: WireDocument) =>
  admin.push(token, collection, [{ assumedMasterState: null, newDocumentState: doc }]);

const pulledIds = async (token: string, collection = 'parcels') =>
  (await admin.pull(token, collection)).documents.map((doc) => doc['id']);

/** A desk's live stream: its messages so far, until `stop`. */
async function listen(
  token: string,
): Promise<{ received: readonly StreamMessage[]; stop: () => void }> {
  const abort = new AbortController();
  const response = await fetch(`${admin.server.url}/v1/sync/stream`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  return { received: streamMessages(response).received, stop: () => abort.abort() };
}

beforeAll(async () => {
  // `tools` is registered too, but not replicated to desks: the store keeps it, desks never
  // reach it.
  admin = await startAdminTestServer({
    collections: [parcels, sealedParcels, defineCollection(tools)],
  });
  await admin.addMembers();
  north = await admin.enrolDesk('NORTH');
  south = await admin.enrolDesk('SOUTH');
});
afterAll(async () => {
  await admin.close();
});

describe('a collection a test registers itself', () => {
  it('takes an allowed push, and serves it to the libraries its scope rule names', async () => {
    const stream = await listen(south.token);
    await expect.poll(() => stream.received.length).toBeGreaterThan(0); // RESYNC: connected
    const pushed = await pushNew(north.token, 'parcels', parcel('p1', ['NORTH'], north.deskId));
    expect([pushed.status, pushed.body]).toEqual([200, { conflicts: [] }]);
    const shared = parcel('p2', ['NORTH', 'SOUTH'], north.deskId);
    expect((await pushNew(north.token, 'parcels', shared)).status).toBe(200);

    expect(await pulledIds(north.token)).toEqual(['p1', 'p2']);
    // SOUTH sees only the parcel that lists it, and its stream was told of that one.
    expect((await admin.pull(south.token, 'parcels')).documents).toEqual([shared]);
    const told = () =>
      stream.received.flatMap((event) => (event.type === 'changed' ? [event.collection] : []));
    await expect.poll(told).toEqual(['parcels']);
    stream.stop();
  });

  it('refuses what its write rule forbids, storing nothing', async () => {
    const forbidden = await pushNew(north.token, 'parcels', parcel('p3', ['SOUTH'], north.deskId));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({
      error: { code: 'forbidden', message: refusal.message },
    });
    // The check every collection shares: a row names the desk that pushed it.
    const impostor = await pushNew(north.token, 'parcels', parcel('p4', ['NORTH'], south.deskId));
    expect([impostor.status, impostor.body]).toMatchObject([403, { error: { code: 'forbidden' } }]);
    expect(await pulledIds(south.token)).toEqual(['p2']);
    expect(await pulledIds(north.token)).toEqual(['p1', 'p2']);
  });

  it('validates against its schema: an unknown property is an invalid document', async () => {
    const invalid = await pushNew(
      north.token,
      'parcels',
      parcel('p5', ['NORTH'], north.deskId, { weight: 3 }),
    );
    expect(invalid.status).toBe(422);
    expect(invalid.body).toMatchObject({ error: { code: 'invalid_document' } });
    const mistyped = await pushNew(north.token, 'parcels', {
      ...parcel('p6', ['NORTH'], north.deskId),
      label: 7,
    });
    expect([mistyped.status, mistyped.body]).toMatchObject([
      422,
      { error: { code: 'invalid_document' } },
    ]);
    expect(await pulledIds(north.token)).toEqual(['p1', 'p2']);
  });

  it('is read-only for desks without a write rule', async () => {
    const refused = await pushNew(
      north.token,
      'sealedParcels',
      parcel('s1', ['NORTH'], north.deskId),
    );
    expect([refused.status, refused.body]).toMatchObject([403, { error: { code: 'forbidden' } }]);
    expect(await pulledIds(north.token, 'sealedParcels')).toEqual([]);
  });

  it('answers a collection it does not serve as a malformed request', async () => {
    // Not registered at all, or registered without being replicated to desks (tools): the
    // same answer as for an unknown collection name before collections were registrations.
    for (const collection of ['crateLabels', 'tools']) {
      for (const route of ['pull', 'pages']) {
        const pulled = await admin.call(
          'GET',
          `/v1/sync/${collection}/${route}`,
          undefined,
          north.token,
        );
        expect([pulled.status, pulled.body], `${collection} ${route}`).toMatchObject([
          400,
          { error: { code: 'invalid_request' } },
        ]);
      }
      const pushed = await pushNew(north.token, collection, parcel('x1', ['NORTH'], north.deskId));
      expect([pushed.status, pushed.body], collection).toMatchObject([
        400,
        { error: { code: 'invalid_request' } },
      ]);
    }
    // Before the token is looked at, as the parameter's check always was.
    const anonymous = await admin.call('GET', '/v1/sync/crateLabels/pull', undefined, null);
    expect(anonymous.status).toBe(400);
  });
});
