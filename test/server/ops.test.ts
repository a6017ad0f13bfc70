// Server operations against a real server on loopback: /health answers without a token and
// without data; /metrics refuses without the metrics (or admin) token, and its counters and
// gauges move with real pushes, pulls, refusals and streams; on SQLite and on PostgreSQL.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import {
  ADMIN_TOKEN,
  sealedCrate,
  startAdminTestServer,
  type AdminTestServer,
} from './admin-support.js';

const METRICS_TOKEN = 'test-metrics-token-abcdef0123456789';
const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

describe.each(['SQLite', 'PostgreSQL'] as const)('on %s', (backend) => {
  let t: AdminTestServer;
  const desks: Record<string, { deskId: string; token: string }> = {};
  const desk = (library: string) => {
    const found = desks[library];
    if (!found) throw new Error(`no desk at ${library}`);
    return found;
  };

  let cluster: PostgresCluster | undefined;
  beforeAll(async () => {
    if (backend === 'PostgreSQL') cluster = await startPostgres();
    const database = await cluster?.createDatabase();
    t = await startAdminTestServer({
      metricsToken: METRICS_TOKEN,
      ...(database === undefined ? {} : { database }),
    });
    await t.addMembers();
    for (const library of ['NORTH', 'SOUTH', 'WEST']) desks[library] = await t.enrolDesk(library);
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await cluster?.stop();
  });

  /** Every sample of a scrape: `name{a="b",...}` -> value. */
  async function scrape(token: string = METRICS_TOKEN): Promise<Map<string, number>> {
    const answer = await t.call('GET', '/metrics', undefined, token);
    if (answer.status !== 200) throw new Error(`metrics: ${answer.status} ${answer.text}`);
    const samples = new Map<string, number>();
    for (const line of answer.text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const at = line.lastIndexOf(' ');
      samples.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
    return samples;
  }

  function sample(samples: Map<string, number>, name: string, labels: Record<string, string> = {}) {
    const rendered = Object.entries(labels)
      .map(([key, value]) => `${key}="${value}"`)
      .join(',');
    return samples.get(rendered === '' ? name : `${name}{${rendered}}`);
  }

  const crate = (origin: string, destination: string) =>
    sealedCrate(origin, destination, desk(origin).deskId, { packed: 2 });

  describe('GET /health', () => {
    it('answers without a token: store reachable, version and uptime, nothing else', async () => {
      const answer = await t.call('GET', '/health', undefined, null);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.body).toEqual({
        status: 'ok',
        store: 'reachable',
        version,
        uptimeSeconds: expect.any(Number) as unknown,
      });
      expect((answer.body as { uptimeSeconds: number }).uptimeSeconds).toBeGreaterThanOrEqual(0);
      // The server really runs on the backend this suite is about.
      expect(existsSync(join(t.dir, 'consortium.sqlite'))).toBe(backend === 'SQLite');
    });
  });

  describe('GET /metrics', () => {
    it('refuses without a token, with a wrong one and with a desk token', async () => {
      for (const token of [null, 'wrong-token-0123456789abcdef', desk('NORTH').token]) {
        const answer = await t.call('GET', '/metrics', undefined, token);
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({
          error: { code: 'unauthorized', message: expect.any(String) as unknown },
        });
        expect(answer.text).not.toContain('carrel_');
      }
    });

    it('answers Prometheus text to the metrics token and to the administrator token', async () => {
      const answer = await t.call('GET', '/metrics', undefined, METRICS_TOKEN);
      expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = await scrape(ADMIN_TOKEN);
      expect(sample(samples, 'carrel_build_info', { version })).toBe(1);
      expect(sample(samples, 'carrel_store_up')).toBe(1);
      expect(sample(samples, 'carrel_desks_enrolled', { library: 'NORTH' })).toBe(1);
      expect(sample(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    });

    it('counts a real push, its conflicts and refused pushes, and shows the crate waiting', async () => {
      const before = await scrape();
      const pushes = () =>
        sample(before, 'carrel_sync_pushes_total', { collection: 'crates' }) ?? 0;
      const startPushes = pushes();

      const sealed = crate('NORTH', 'SOUTH');
      const accepted = await t.push(desk('NORTH').token, 'crates', [
        { assumedMasterState: null, newDocumentState: sealed },
      ]);
      expect(accepted.status).toBe(200);
      expect(accepted.body.conflicts).toEqual([]);

      // A desk that assumed a state the server never had: answered with the master state.
      const stale = await t.push(desk('NORTH').token, 'crates', [
        {
          assumedMasterState: {
            ...sealed,
            counts: { packed: 9, received: 0, missing: 0, extra: 0 },
          },
          newDocumentState: { ...sealed, counts: { packed: 3, received: 0, missing: 0, extra: 0 } },
        },
      ]);
      expect(stale.status).toBe(200);
      expect(stale.body.conflicts).toHaveLength(1);

      // Refused whole: a crate opened for another library, and a document that is not valid.
      const forbidden = await t.push(desk('NORTH').token, 'crates', [
        { assumedMasterState: null, newDocumentState: crate('SOUTH', 'WEST') },
      ]);
      expect(forbidden.status).toBe(403);
      const invalid = await t.push(desk('NORTH').token, 'crates', [
        {
          assumedMasterState: null,
          newDocumentState: { ...crate('NORTH', 'WEST'), status: 'lost' },
        },
      ]);
      expect(invalid.status).toBe(422);

      const after = await scrape();
      expect(sample(after, 'carrel_sync_pushes_total', { collection: 'crates' })).toBe(
        startPushes + 2,
      );
      expect(sample(after, 'carrel_sync_pushed_rows_total', { collection: 'crates' })).toBe(
        startPushes + 2,
      );
      expect(sample(after, 'carrel_sync_conflicts_total', { collection: 'crates' })).toBe(1);
      expect(
        sample(after, 'carrel_sync_rejected_pushes_total', {
          collection: 'crates',
          code: 'forbidden',
        }),
      ).toBe(1);
      expect(
        sample(after, 'carrel_sync_rejected_pushes_total', {
          collection: 'crates',
          code: 'invalid_document',
        }),
      ).toBe(1);
      expect(
        sample(after, 'carrel_crates_waiting', { destination: 'SOUTH', status: 'sealed' }),
      ).toBe(1);
      expect(
        sample(after, 'carrel_crates_waiting', { destination: 'WEST', status: 'sealed' }),
      ).toBe(undefined);
      const north = { desk: desk('NORTH').deskId, library: 'NORTH' };
      expect(sample(after, 'carrel_desk_last_push_timestamp_seconds', north)).toBeGreaterThan(0);
    });

    it('shows a desk lagging while a change for its library waits, and caught up after it pulls', async () => {
      const south = { desk: desk('SOUTH').deskId, library: 'SOUTH' };
      const west = { desk: desk('WEST').deskId, library: 'WEST' };
      // Both desks pull crates to the end: caught up.
      await t.pull(desk('SOUTH').token, 'crates');
      await t.pull(desk('WEST').token, 'crates');
      let samples = await scrape();
      expect(sample(samples, 'carrel_desk_sync_lag_seconds', south)).toBe(0);
      expect(sample(samples, 'carrel_desk_sync_lag_seconds', west)).toBe(0);

      // A crate for SOUTH: SOUTH has something to pull, WEST does not.
      const pushed = await t.push(desk('NORTH').token, 'crates', [
        { assumedMasterState: null, newDocumentState: crate('NORTH', 'SOUTH') },
      ]);
      expect(pushed.status).toBe(200);
      await sleep(30);
      samples = await scrape();
      expect(sample(samples, 'carrel_desk_sync_lag_seconds', south)).toBeGreaterThanOrEqual(0.03);
      expect(sample(samples, 'carrel_desk_sync_lag_seconds', west)).toBe(0);
      expect(
        sample(samples, 'carrel_crates_waiting', { destination: 'SOUTH', status: 'sealed' }),
      ).toBe(2);

      await t.pull(desk('SOUTH').token, 'crates');
      samples = await scrape();
      expect(sample(samples, 'carrel_desk_sync_lag_seconds', south)).toBe(0);
      expect(sample(samples, 'carrel_desk_last_pull_timestamp_seconds', south)).toBeGreaterThan(0);
    });

    it('counts a pages answer as one pull, the desk caught up to its last page', async () => {
      const south = { desk: desk('SOUTH').deskId, library: 'SOUTH' };
      const pushed = await t.push(desk('NORTH').token, 'crates', [
        { assumedMasterState: null, newDocumentState: crate('NORTH', 'SOUTH') },
      ]);
      expect(pushed.status).toBe(200);
      await sleep(30);
      let samples = await scrape();
      expect(sample(samples, 'carrel_desk_sync_lag_seconds', south)).toBeGreaterThanOrEqual(0.03);
      const pullsBefore = sample(samples, 'carrel_sync_pulls_total', { collection: 'crates' }) ?? 0;
      // Pages of one crate each: the answer's last page is the one that ends the feed.
      const answer = await fetch(`${t.server.url}/v1/sync/crates/pages?limit=1&pages=50`, {
        headers: { authorization: `Bearer ${desk('SOUTH').token}` },
      });
      expect(answer.status).toBe(200);
      expect((await answer.text()).trim().split('\n').length).toBeGreaterThan(1);
      await sleep(30);
      samples = await scrape();
      expect(sample(samples, 'carrel_desk_sync_lag_seconds', south)).toBe(0);
      expect(sample(samples, 'carrel_sync_pulls_total', { collection: 'crates' })).toBe(
        pullsBefore + 1,
      );
    });

    it('counts open live streams and forgets revoked desks', async () => {
      const controller = new AbortController();
      const stream = await fetch(`${t.server.url}/v1/sync/stream`, {
        headers: { authorization: `Bearer ${desk('WEST').token}` },
        signal: controller.signal,
      });
      expect(stream.status).toBe(200);
      expect(sample(await scrape(), 'carrel_sync_streams_open')).toBe(1);
      controller.abort();
      let open = 1;
      for (let tries = 0; tries < 100 && open !== 0; tries++) {
        await sleep(10);
        open = sample(await scrape(), 'carrel_sync_streams_open') ?? -1;
      }
      expect(open).toBe(0);

      const revoked = await t.call('POST', `/v1/admin/desks/${desk('WEST').deskId}/revoke`);
      expect(revoked.status).toBe(200);
      const samples = await scrape();
      const west = { desk: desk('WEST').deskId, library: 'WEST' };
      expect(sample(samples, 'carrel_desk_sync_lag_seconds', west)).toBe(undefined);
      expect(sample(samples, 'carrel_desks_enrolled', { library: 'WEST' })).toBe(undefined);
    });
  });
});
