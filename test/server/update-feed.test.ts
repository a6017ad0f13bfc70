// The desks' update feed on a real server: release files served as they are, with ranges for
// differential downloads, nothing outside the folder, no listing, no feed unless configured.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsortiumServer, type ConsortiumServer } from '../../server/app.js';

let dir: string;
let server: ConsortiumServer;
const installer = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-updates-'));
  const releases = join(dir, 'releases');
  mkdirSync(releases);
  writeFileSync(join(releases, 'latest.yml'), 'version: 0.2.0\npath: Carrel-Setup-0.2.0.exe\n');
  writeFileSync(join(releases, 'Carrel-Setup-0.2.0.exe'), installer);
  writeFileSync(join(dir, 'secret.txt'), 'not for desks');
  server = await startConsortiumServer({ dataDir: join(dir, 'data'), updatesDir: releases });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the update feed', () => {
  it('serves the release metadata and installers without a token', async () => {
    const latest = await fetch(`${server.url}/v1/updates/latest.yml`);
    expect(latest.status).toBe(200);
    expect(await latest.text()).toContain('version: 0.2.0');
    const whole = await fetch(`${server.url}/v1/updates/Carrel-Setup-0.2.0.exe`);
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(installer);
  });

  it('answers byte ranges, as differential downloads ask', async () => {
    const part = await fetch(`${server.url}/v1/updates/Carrel-Setup-0.2.0.exe`, {
      headers: { range: 'bytes=100-199' },
    });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(installer.subarray(100, 200));
  });

  it('serves nothing outside the folder and lists nothing', async () => {
    for (const path of ['/v1/updates/../secret.txt', '/v1/updates/%2e%2e/secret.txt']) {
      const answer = await fetch(`${server.url}${path}`);
      expect([403, 404]).toContain(answer.status);
      expect(await answer.text()).not.toContain('not for desks');
    }
    const listing = await fetch(`${server.url}/v1/updates/`);
    expect([403, 404]).toContain(listing.status);
    expect(await listing.text()).not.toContain('latest.yml');
  });

  it('is not there unless the server is given a folder', async () => {
    const plain = await startConsortiumServer({ dataDir: join(dir, 'plain') });
    try {
      expect((await fetch(`${plain.url}/v1/updates/latest.yml`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
