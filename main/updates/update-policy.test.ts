import { describe, expect, it } from 'vitest';
import { decideUpdate, type UpdateFacts } from './update-policy.js';

const now = new Date('2026-11-23T12:00:00Z');
const minutesAgo = (n: number) => new Date(now.getTime() - n * 60_000);
const base: UpdateFacts = {
  downloadedVersion: '1.4.0',
  unsyncedChanges: 0,
  lastBackupAt: null,
  lastScanAt: null,
  staffAsked: false,
  now,
};

describe('decideUpdate', () => {
  it.each<[string, Partial<UpdateFacts>, 'install' | 'back-up-then-install' | 'wait']>([
    ['nothing downloaded', { downloadedVersion: null }, 'wait'],
    [
      'nothing downloaded, even if staff ask',
      { downloadedVersion: null, staffAsked: true },
      'wait',
    ],
    ['all synced, desk quiet', {}, 'install'],
    ['all synced, a scan 2 minutes ago', { lastScanAt: minutesAgo(2) }, 'wait'],
    [
      'all synced, a scan 2 minutes ago, staff ask',
      { lastScanAt: minutesAgo(2), staffAsked: true },
      'install',
    ],
    ['all synced, last scan 11 minutes ago', { lastScanAt: minutesAgo(11) }, 'install'],
    ['unsynced scans, no backup', { unsyncedChanges: 3 }, 'back-up-then-install'],
    [
      'unsynced scans, backup of yesterday',
      { unsyncedChanges: 3, lastBackupAt: minutesAgo(24 * 60) },
      'back-up-then-install',
    ],
    [
      'unsynced scans, backup 6 minutes old',
      { unsyncedChanges: 3, lastBackupAt: minutesAgo(6) },
      'back-up-then-install',
    ],
    [
      'unsynced scans, backup just taken',
      { unsyncedChanges: 3, lastBackupAt: minutesAgo(1) },
      'install',
    ],
    [
      'unsynced scans, backup "from the future" (clock moved)',
      { unsyncedChanges: 3, lastBackupAt: minutesAgo(-30) },
      'back-up-then-install',
    ],
    [
      'unsynced scans, staff ask, no backup',
      { unsyncedChanges: 3, staffAsked: true },
      'back-up-then-install',
    ],
    ['unsynced scans while staff scan', { unsyncedChanges: 3, lastScanAt: minutesAgo(1) }, 'wait'],
  ])('%s', (_, facts, action) => {
    const decision = decideUpdate({ ...base, ...facts });
    expect(decision.action).toBe(action);
    expect(decision.reason).not.toBe('');
  });

  it('never installs with unsynced changes unless a fresh backup holds them', () => {
    for (const unsyncedChanges of [1, 50, 10_000]) {
      for (const backupMinutes of [null, 5, 60, 24 * 60]) {
        const decision = decideUpdate({
          ...base,
          unsyncedChanges,
          staffAsked: true,
          lastBackupAt: backupMinutes === null ? null : minutesAgo(backupMinutes),
        });
        expect(decision.action).toBe('back-up-then-install');
      }
    }
  });
});
