// Backups of a real desk: taken through the desk API while it runs, pruned by the days
// desk.json keeps, put back at the next start.
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDesk } from '../app.js';
import { checkDatabaseFile } from '../store/index.js';
import { backupFileName, BACKUP_FOLDER, createDeskBackups } from './index.js';
import { demoDesk, everyDocument } from './test-desk.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('desk backups', () => {
  it('backs up through the API while the desk runs, and puts every record back at the next start', async () => {
    const { desk, dataDir, logged, scans } = await demoDesk();
    folders.push(dataDir);
    expect(scans).toBeGreaterThan(10);
    const taken = await desk.api.maintenance.backupNow({});
    if (!taken.ok) throw new Error(taken.error.message);
    expect(taken.value.fileName).toMatch(/^desk-\d{8}T\d{6}Z\.sqlite$/);
    const listed = await desk.api.maintenance.backups({});
    expect(listed).toEqual({ ok: true, value: [taken.value] });
    const copy = checkDatabaseFile(join(dataDir, BACKUP_FOLDER, taken.value.fileName));
    expect(copy.problems).toEqual([]);
    const atBackup = await everyDocument(desk);

    // After the backup the desk goes on: these scans are not in it.
    const more = await desk.database.items.find({ limit: 5, skip: 200 }).exec();
    for (const item of more) await desk.api.checkin.scan({ barcode: item.barcode });
    const checkinsAfter = await desk.database.checkins.count().exec();
    expect(checkinsAfter).toBeGreaterThan(atBackup['checkins']?.length ?? 0);

    desk.backups.requestRestore(taken.value.fileName);
    await desk.close();
    const restarted = await startDesk({ dataDir, sync: { log: (line) => logged.push(line) } });
    try {
      expect(await everyDocument(restarted)).toEqual(atBackup);
      // What the desk held before the restore is kept aside, whole.
      const aside = readdirSync(dataDir).filter(
        (name) => name.startsWith('desk.sqlite.before-restore-') && !/-(wal|shm)$/.test(name),
      );
      expect(aside).toHaveLength(1);
      const kept = checkDatabaseFile(join(dataDir, aside[0] ?? ''));
      expect(kept.problems).toEqual([]);
      expect(Object.values(kept.rows).reduce((a, b) => a + b, 0)).toBeGreaterThan(
        Object.values(copy.rows).reduce((a, b) => a + b, 0),
      );
      expect(logged.some((line) => line.includes(`${taken.value.fileName} put back`))).toBe(true);
      // The request is used once: the next start opens the restored database as it is.
      expect(existsSync(join(dataDir, 'restore-request.json'))).toBe(false);
    } finally {
      await restarted.close();
    }
  });

  it('starts on its own database when the backup to put back is damaged', async () => {
    const { desk, dataDir, logged } = await demoDesk();
    folders.push(dataDir);
    const taken = await desk.backups.takeBackup();
    const before = await everyDocument(desk);
    desk.backups.requestRestore(taken.fileName);
    await desk.close();
    writeFileSync(join(dataDir, BACKUP_FOLDER, taken.fileName), 'not a database');
    const restarted = await startDesk({ dataDir, sync: { log: (line) => logged.push(line) } });
    try {
      expect(await everyDocument(restarted)).toEqual(before);
      expect(logged.some((line) => line.includes('the desk database is unchanged'))).toBe(true);
      expect(readdirSync(dataDir).some((name) => name.includes('before-restore'))).toBe(false);
    } finally {
      await restarted.close();
    }
  });

  it('takes one backup a day and keeps them for the days desk.json says, the newest always', async () => {
    const { desk, dataDir } = await demoDesk();
    folders.push(dataDir);
    let clock = new Date('2026-11-01T09:00:00Z');
    let retention: number | undefined = 3;
    const lines: string[] = [];
    const backups = createDeskBackups({
      dataDir,
      retentionDays: () => retention,
      now: () => clock,
      log: (line) => lines.push(line),
    });
    const names: string[] = [];
    for (let day = 0; day < 6; day += 1) {
      const first = await backups.backUpIfDue();
      expect(first?.fileName).toBe(backupFileName(clock));
      names.push(first?.fileName ?? '');
      clock = new Date(clock.getTime() + 6 * 3600_000);
      // Six hours later the same day: not due.
      expect(await backups.backUpIfDue()).toBeUndefined();
      clock = new Date(clock.getTime() + 18 * 3600_000);
    }
    // Day 6, 09:00: the backups of days 3, 4 and 5 are within three days.
    expect(backups.list().map((b) => b.fileName)).toEqual(names.slice(3).reverse());
    expect(lines.filter((line) => line.includes('removed'))).toHaveLength(3);
    // Without a setting, 14 days: a month later the new backup is the only one left.
    retention = undefined;
    clock = new Date(clock.getTime() + 30 * 24 * 3600_000);
    const fresh = await backups.backUpIfDue();
    expect(backups.list()).toEqual([fresh]);
    await desk.close();
  });

  it('answers backup_failed and changes nothing when the backup cannot be written', async () => {
    const { desk, dataDir } = await demoDesk();
    folders.push(dataDir);
    // A file where the backups folder should be: nothing can be written there.
    writeFileSync(join(dataDir, BACKUP_FOLDER), 'in the way');
    const answer = await desk.api.maintenance.backupNow({});
    expect(answer).toMatchObject({ ok: false, error: { code: 'backup_failed' } });
    expect(await desk.api.maintenance.backups({})).toEqual({ ok: true, value: [] });
    await desk.close();
  });
});
