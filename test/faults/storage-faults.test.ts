// Desk storage faults on a real file system: a desk whose data folder is on a small tmpfs
// fills it: the refused scan is answered with a clear code and recorded nowhere, every
// answered scan survives, the file stays intact, and once space is back the desk goes on. A
// desk on a disk that turned read-only refuses to start with a clear message and changes
// nothing. (A damaged database file is covered by
// main/store's StoreOpenError tests: reported, never overwritten.) Needs root to mount; CI
// runs as root.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDesk, type Desk } from '../../main/app.js';
import { StoreOpenError } from '../../main/store/index.js';
import { demoConsortium } from '../../main/setup/index.js';
import type { CheckinAnswer, DeskResult } from '../../shared/index.js';

const root = mkdtempSync(join(tmpdir(), 'carrel-storage-faults-'));
const mountPoint = join(root, 'disk');
let mounted = false;

function mount(options: string): void {
  execFileSync('mount', ['-o', options, '-t', 'tmpfs', 'tmpfs', mountPoint]);
}

beforeAll(() => {
  execFileSync('mkdir', ['-p', mountPoint]);
  try {
    mount('size=24m');
    mounted = true;
  } catch {
    mounted = false;
  }
});
afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(root, { recursive: true, force: true });
});

const canMount = () => mounted;

describe('desk storage faults', () => {
  it('answers storage_full when the disk fills, loses nothing answered, and goes on after', async (context) => {
    if (!canMount()) context.skip();
    const dataDir = join(mountPoint, 'desk');
    const lines: string[] = [];
    let desk: Desk = await startDesk({ dataDir, sync: { log: (line) => lines.push(line) } });
    const call = async (barcode: string) =>
      (await desk.dispatcher.call('checkin.scan', { barcode })) as DeskResult<CheckinAnswer>;
    try {
      await desk.dispatcher.call('desk.loadDemo', { libraryCode: 'NORTH' });
      await desk.dispatcher.call('staff.signIn', { initials: 'SF' });
      const barcodes = demoConsortium(new Date()).items.map((item) => item.barcode);

      // Fill the disk with a filler file, leaving a little room.
      const free = () =>
        Number(execFileSync('df', ['--output=avail', '-B1', mountPoint]).toString().split('\n')[1]);
      writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(Math.max(0, free() - 200_000)));

      const answered: string[] = [];
      let refused: DeskResult<CheckinAnswer> | undefined;
      let refusedBarcode = '';
      for (const barcode of barcodes) {
        const answer = await call(barcode);
        if (answer.ok) {
          answered.push(answer.value.checkinId);
          continue;
        }
        refused = answer;
        refusedBarcode = barcode;
        break;
      }
      expect(refused).toMatchObject({ ok: false, error: { code: 'storage_full' } });
      expect(answered.length).toBeGreaterThan(0);

      // Space comes back: the desk goes on, the refused scan can be made again.
      rmSync(join(mountPoint, 'filler'));
      const again = await call(refusedBarcode);
      expect(again.ok).toBe(true);
      if (again.ok) answered.push(again.value.checkinId);

      await desk.close();
      desk = await startDesk({ dataDir, sync: { log: (line) => lines.push(line) } });
      const stored = await desk.store.db.checkins.findByIds(answered).exec();
      expect(stored.size).toBe(answered.length);
      expect(await desk.store.db.checkins.count().exec()).toBe(answered.length);
    } finally {
      await desk.close();
    }
    const check = new Database(join(dataDir, 'desk.sqlite'), { readonly: true });
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      check.close();
    }
  });

  it('refuses to start on a read-only disk with a clear message, changing nothing', async (context) => {
    if (!canMount()) context.skip();
    const dataDir = join(mountPoint, 'desk-ro');
    let desk: Desk = await startDesk({ dataDir, sync: { log: () => undefined } });
    const answered: string[] = [];
    try {
      await desk.dispatcher.call('desk.loadDemo', { libraryCode: 'NORTH' });
      await desk.dispatcher.call('staff.signIn', { initials: 'RO' });
      for (const item of demoConsortium(new Date()).items.slice(0, 5)) {
        const answer = (await desk.dispatcher.call('checkin.scan', {
          barcode: item.barcode,
        })) as DeskResult<CheckinAnswer>;
        if (!answer.ok) throw new Error(answer.error.code);
        answered.push(answer.value.checkinId);
      }
    } finally {
      await desk.close();
    }
    const file = join(dataDir, 'desk.sqlite');
    const before = createHash('sha256').update(readFileSync(file)).digest('hex');

    // The disk turns read-only (a full quota, a failing drive remounted by the system).
    mount('remount,ro');
    try {
      const refused = await startDesk({ dataDir, sync: { log: () => undefined } }).then(
        async (started) => {
          await started.close();
          return undefined;
        },
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(StoreOpenError);
      expect((refused as StoreOpenError).message).toMatch(/has not been changed/);
    } finally {
      mount('remount,rw');
    }
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before);

    desk = await startDesk({ dataDir, sync: { log: () => undefined } });
    try {
      expect(await desk.store.db.checkins.count().exec()).toBe(answered.length);
    } finally {
      await desk.close();
    }
  });
});
