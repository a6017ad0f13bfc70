import { describe, expect, it } from 'vitest';
import { backupFileName, backupIsDue, backupsToRemove, backupTakenAt } from './backup-policy.js';

const at = (iso: string) => new Date(iso);
const now = at('2026-11-23T12:00:00Z');

describe('backup file names', () => {
  it('name a backup by its UTC second and read that time back', () => {
    const name = backupFileName(at('2026-11-23T09:08:07.654Z'));
    expect(name).toBe('desk-20261123T090807Z.sqlite');
    expect(backupTakenAt(name)?.toISOString()).toBe('2026-11-23T09:08:07.000Z');
  });

  it.each([
    'desk.sqlite',
    'desk-20261123T090807Z.sqlite.partial',
    'desk-20261323T090807Z.sqlite',
    '../desk-20261123T090807Z.sqlite',
    'desk-20261123T090807Z.sqlite-journal',
  ])('ignores %s, which is not a backup of ours', (name) => {
    expect(backupTakenAt(name)).toBeUndefined();
  });
});

describe('backupIsDue', () => {
  it.each<[string | undefined, boolean, string]>([
    [undefined, true, 'no backup yet'],
    ['2026-11-23T08:00:00Z', false, 'four hours ago'],
    ['2026-11-22T12:00:01Z', false, 'a second short of a day'],
    ['2026-11-22T12:00:00Z', true, 'a day ago'],
    ['2026-10-01T00:00:00Z', true, 'weeks ago'],
    ['2026-11-24T12:00:00Z', true, 'in the future: the clock went back'],
  ])('last backup %s -> due %s (%s)', (last, due) => {
    expect(backupIsDue(last === undefined ? undefined : at(last), now)).toBe(due);
  });
});

describe('backupsToRemove', () => {
  const days = (n: number) => new Date(now.getTime() - n * 86_400_000);

  it('removes the backups older than the retention, keeps the rest', () => {
    const taken = [days(0.5), days(3), days(13.9), days(14.1), days(30)];
    expect(backupsToRemove(taken, 14, now)).toEqual([days(14.1), days(30)]);
  });

  it('always keeps the newest backup, however old', () => {
    expect(backupsToRemove([days(40), days(60)], 14, now)).toEqual([days(60)]);
    expect(backupsToRemove([days(40)], 1, now)).toEqual([]);
  });

  it('removes nothing from an empty folder', () => {
    expect(backupsToRemove([], 14, now)).toEqual([]);
  });
});
