// How many desk-token lookups one sync request costs, on a real server over loopback. The
// registry the server opens is wrapped (and only counted: every call still reaches the real
// SQLite registry), because a push or pull that looks its token up twice does twice the
// registry reads at every desk's every sync, and the metrics figures must still name the desk.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as storeModule from '../../server/store/index.js';
import { sealedCrate, startAdminTestServer, type AdminTestServer } from './admin-support.js';

const lookups = vi.hoisted(() => ({ count: 0 }));

vi.mock('../../server/store/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof storeModule>();
  return {
    ...real,
    openBackend: async (options: Parameters<typeof real.openBackend>[0]) => {
      const backend = await real.openBackend(options);
      const { registry } = backend;
      return {
        ...backend,
        registry: {
          ...registry,
          authenticate(token: string) {
            lookups.count += 1;
            return registry.authenticate(token);
          },
        },
      };
    },
  };
});

let t: AdminTestServer;
let north: { deskId: string; token: string };

beforeAll(async () => {
  t = await startAdminTestServer();
  await t.addMembers();
  north = await t.enrolDesk('NORTH');
});
afterAll(async () => {
  await t.close();
});

async function metricsText(): Promise<string> {
  return (await t.call('GET', '/metrics')).text;
}

describe('a sync request', () => {
  it('looks its desk token up once for a push, and the metrics still name the desk', async () => {
    lookups.count = 0;
    const pushed = await t.push(north.token, 'crates', [
      { assumedMasterState: null, newDocumentState: sealedCrate('NORTH', 'SOUTH', north.deskId) },
    ]);
    expect(pushed.status).toBe(200);
    expect(lookups.count).toBe(1);
    // The metrics hook took the desk from the route instead of looking it up again.
    const text = await metricsText();
    expect(text).toMatch(/^carrel_sync_pushes_total\{collection="crates"\} 1$/m);
    expect(text).toMatch(
      new RegExp(
        `^carrel_desk_last_push_timestamp_seconds\\{desk="${north.deskId}",library="NORTH"\\} \\d`,
        'm',
      ),
    );
  });

  it('looks its desk token up once for a pull, and the desk is counted as having pulled', async () => {
    lookups.count = 0;
    const pulled = await t.call('GET', '/v1/sync/crates/pull', undefined, north.token);
    expect(pulled.status).toBe(200);
    expect(lookups.count).toBe(1);
    expect(await metricsText()).toMatch(
      new RegExp(
        `^carrel_desk_last_pull_timestamp_seconds\\{desk="${north.deskId}",library="NORTH"\\} \\d`,
        'm',
      ),
    );
  });

  it('still looks a refused token up only once', async () => {
    lookups.count = 0;
    const refused = await t.push('U'.repeat(43), 'crates', [
      { assumedMasterState: null, newDocumentState: sealedCrate('NORTH', 'SOUTH', north.deskId) },
    ]);
    expect(refused.status).toBe(401);
    expect(lookups.count).toBe(1);
  });
});
