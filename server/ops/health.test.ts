import Fastify from 'fastify';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { domainCollections, openSqliteReplicationStore } from '../store/index.js';
import { temporaryFolder } from '../store/testing/parcels.js';
import { registerHealth } from './health.js';

let folder: ReturnType<typeof temporaryFolder>;
beforeEach(() => {
  folder = temporaryFolder('carrel-health-');
});
afterEach(() => folder.remove());

describe('GET /health', () => {
  it('says 503, store unreachable, when the store does not answer', async () => {
    const store = await openSqliteReplicationStore(join(folder.path, 'consortium.sqlite'));
    for (const registration of domainCollections) store.register(registration);
    const app = Fastify();
    registerHealth(app, { store, version: '1.2.3', startedAt: Date.now() });
    try {
      const up = await app.inject({ method: 'GET', url: '/health' });
      expect(up.statusCode).toBe(200);
      expect(up.json()).toMatchObject({ status: 'ok', store: 'reachable', version: '1.2.3' });

      await store.close(); // every later call rejects, as a lost database would
      const down = await app.inject({ method: 'GET', url: '/health' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toEqual({
        status: 'unavailable',
        store: 'unreachable',
        version: '1.2.3',
        uptimeSeconds: expect.any(Number) as unknown,
      });
    } finally {
      await app.close();
      await store.close();
    }
  });
});
