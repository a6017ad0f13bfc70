import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { developmentSqliteBinding, startDesk } from './app.js';
import { StoreOpenError } from './store/index.js';

let scratch: string;

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'carrel-app-'));
});

afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const sampleLibrary = {
  code: 'MAIN',
  name: 'Main Library',
  barcodePrefixes: ['33907'],
  barcodeRule: { lengths: [14], checkDigit: 'codabar-mod10' as const },
  floatingRules: { libraries: [], callNumberPrefixes: [] },
  localPickupFirst: true,
  timeZone: 'America/Chicago',
  crateCapacity: 40,
  holdShelfDays: 7,
  courierStop: 'A1',
  updatedAt: '2026-11-23T09:00:00.000Z',
  deskId: 'server',
};

describe('startDesk', () => {
  it('creates a missing data folder, parents included, with the desk database in it', async () => {
    const dataDir = join(scratch, 'profile', 'Carrel');
    const desk = await startDesk({ dataDir });
    expect(desk.dataDir).toBe(dataDir);
    expect((await stat(dataDir)).isDirectory()).toBe(true);
    expect(await readdir(dataDir)).toContain('desk.sqlite');
    await desk.close();
  });

  it('keeps what an earlier run recorded', async () => {
    await writeFile(join(scratch, 'earlier.txt'), 'recorded');
    const first = await startDesk({ dataDir: scratch });
    await first.database.libraries.insert(sampleLibrary);
    await first.close();
    const second = await startDesk({ dataDir: scratch });
    expect((await second.database.libraries.findOne('MAIN').exec())?.name).toBe('Main Library');
    expect(await readFile(join(scratch, 'earlier.txt'), 'utf8')).toBe('recorded');
    await second.close();
  });

  it('resolves the folder to a normalised absolute path', async () => {
    const desk = await startDesk({ dataDir: join(scratch, 'a', '..', 'b') });
    expect(desk.dataDir).toBe(join(scratch, 'b'));
    await desk.close();
  });

  it('can be closed more than once', async () => {
    const desk = await startDesk({ dataDir: scratch });
    await desk.close();
    await expect(desk.close()).resolves.toBeUndefined();
  });
});

describe('startDesk on a damaged database', () => {
  const damaged = Buffer.from('SQLite format 3\0'.padEnd(8192, '#'));

  it('refuses to start, says why, and leaves the file as it was', async () => {
    const path = join(scratch, 'desk.sqlite');
    await writeFile(path, damaged);
    const failure = await startDesk({ dataDir: scratch }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreOpenError);
    expect((failure as StoreOpenError).code).toBe('store_corrupt');
    expect((failure as StoreOpenError).message).toContain(path);
    expect((await readFile(path)).equals(damaged)).toBe(true);
  });

  it('sets the file aside when staff choose to, and starts with an empty database', async () => {
    const path = join(scratch, 'desk.sqlite');
    await writeFile(path, damaged);
    const asked: string[] = [];
    const desk = await startDesk({
      dataDir: scratch,
      onUnreadableStore: (problem) => {
        asked.push(problem.code);
        return Promise.resolve('set-aside');
      },
    });
    expect(asked).toEqual(['store_corrupt']);
    expect(desk.setAsideAt).toMatch(/desk\.sqlite\.unreadable-/);
    expect((await readFile(desk.setAsideAt!)).equals(damaged)).toBe(true);
    expect(await desk.database.libraries.count().exec()).toBe(0);
    expect(existsSync(path)).toBe(true);
    await desk.close();
  });
});

describe('the better-sqlite3 addon the desk loads', () => {
  const nodeAddon = join(
    dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
    'build/Release/better_sqlite3.node',
  );

  it('is the one given in nativeBinding', async () => {
    const desk = await startDesk({ dataDir: scratch, nativeBinding: nodeAddon });
    expect(await desk.database.libraries.count().exec()).toBe(0);
    await desk.close();
    const failure = await startDesk({
      dataDir: join(scratch, 'other'),
      nativeBinding: join(scratch, 'missing.node'),
    }).catch((error: unknown) => error);
    // A missing addon is not a damaged database: it is not reported as one.
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(StoreOpenError);
  });

  it('is found in development only where the Electron copy was built', async () => {
    expect(developmentSqliteBinding(scratch)).toBeUndefined();
    const built = join(
      scratch,
      'node_modules/.carrel-electron/node_modules/better-sqlite3/build/Release',
    );
    await mkdir(built, { recursive: true });
    await writeFile(join(built, 'better_sqlite3.node'), '');
    expect(developmentSqliteBinding(scratch)).toBe(join(built, 'better_sqlite3.node'));
  });
});
