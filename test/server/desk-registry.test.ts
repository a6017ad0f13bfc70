// The desk registry on both stores: an SQLite file and a PostgreSQL database (a real cluster
// started for this file), with two registries on one place as two server instances have.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDeskRegistry, type DeskRegistry } from '../../server/store/desk-registry.js';
import { openPgDeskRegistry } from '../../server/store/pg-desk-registry.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

let cluster: PostgresCluster;
const folders: string[] = [];
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const HOUR = 3_600_000;

/** Opens registries on one new place; `now` is the clock every registry reads. */
type Backend = (now: () => number) => Promise<() => Promise<DeskRegistry>>;

const backends: [string, Backend][] = [
  [
    'SQLite',
    (now) => {
      const folder = mkdtempSync(join(tmpdir(), 'carrel-desks-'));
      folders.push(folder);
      return Promise.resolve(() =>
        Promise.resolve(openDeskRegistry(join(folder, 'desks.sqlite'), now)),
      );
    },
  ],
  [
    'PostgreSQL',
    async (now) => {
      const url = await cluster.createDatabase();
      return () => openPgDeskRegistry(url, now);
    },
  ],
];

describe.each(backends)('the desk registry on %s', (_name, backend) => {
  it('enrols a desk once per code, whichever registry on the place is asked', async () => {
    let clock = 1_000_000;
    const open = await backend(() => clock);
    const [one, two] = [await open(), await open()];
    try {
      const code = await one.createEnrolmentCode('MAIN', 'editor', HOUR);
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
      // The same code typed at two desks at once (two server instances): one desk gets it.
      const typed = ` ${code.toLowerCase().replace('-', '')} `;
      const answers = await Promise.all([one.enrol(typed, 'desk 1'), two.enrol(code, 'desk 2')]);
      const enrolled = answers.filter((answer) => answer !== null);
      expect(enrolled).toHaveLength(1);
      const desk = enrolled[0]!;
      expect(desk.library).toBe('MAIN');

      for (const registry of [one, two]) {
        expect(await registry.authenticate(desk.token)).toMatchObject({
          deskId: desk.deskId,
          library: 'MAIN',
          role: 'editor',
          revoked: false,
        });
        expect(await registry.authenticate('x'.repeat(43))).toBeNull();
      }

      // Codes expire.
      const late = await two.createEnrolmentCode('EAST', 'desk', HOUR);
      clock += HOUR + 1;
      expect(await one.enrol(late, 'too late')).toBeNull();

      // Revoked through one, refused (as revoked) by the other.
      expect(await one.revoke(desk.deskId)).toBe(true);
      expect(await two.authenticate(desk.token)).toMatchObject({ revoked: true });
      expect(await two.revoke('no-such-desk')).toBe(false);
      expect(await two.list()).toEqual([
        {
          deskId: desk.deskId,
          library: 'MAIN',
          role: 'editor',
          name: answers[0] === null ? 'desk 2' : 'desk 1',
          revoked: true,
        },
      ]);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
