// The desk registry on both stores: an SQLite file and a PostgreSQL database (a real cluster
// started for this file), with two registries on one place as two server instances have; and
// the SQLite file read as a thief would: no desk token, no used enrolment code in it.
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

describe('the desk registry in its SQLite file', () => {
  it('keeps no desk token, nor a used enrolment code, in any table', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'carrel-desks-'));
    folders.push(folder);
    const file = join(folder, 'desks.sqlite');
    const registry = openDeskRegistry(file);
    try {
      const code = await registry.createEnrolmentCode('MAIN', 'desk', HOUR);
      const desk = (await registry.enrol(code, 'desk 1'))!;
      expect(desk).not.toBeNull();
      const secrets = [desk.token, code, code.replace('-', '')];

      // Every value of every row of every table, as another process reads the file.
      const reader = new Database(file, { readonly: true, fileMustExist: true });
      const values: string[] = [];
      try {
        const tables = reader
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
          .pluck()
          .all() as string[];
        for (const table of tables) {
          for (const row of reader.prepare(`SELECT * FROM "${table}"`).raw().all() as unknown[][]) {
            values.push(
              ...row.map((value) =>
                Buffer.isBuffer(value) ? value.toString('latin1') : String(value),
              ),
            );
          }
        }
      } finally {
        reader.close();
      }
      // The rows were read (the desk is there), and none holds a secret.
      expect(values).toContain(desk.deskId);
      expect(values.filter((value) => secrets.some((secret) => value.includes(secret)))).toEqual(
        [],
      );
      // Nor do the file's bytes (the database, its write-ahead log): no stale page either.
      for (const name of readdirSync(folder)) {
        const bytes = readFileSync(join(folder, name)).toString('latin1');
        expect(
          secrets.filter((secret) => bytes.includes(secret)),
          name,
        ).toEqual([]);
      }
      // And the desk still authenticates with its token; the used code enrols nothing.
      expect(await registry.authenticate(desk.token)).toMatchObject({
        deskId: desk.deskId,
        library: 'MAIN',
        revoked: false,
      });
      expect(await registry.enrol(code, 'desk 2')).toBeNull();
    } finally {
      await registry.close();
    }
  });
});
