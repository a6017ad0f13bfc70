// The update path of a real desk (startDesk, real backups on disk); only the install itself,
// electron-updater's quitAndInstall, is a stand-in: it needs the Electron binary.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeskEventName, SyncStatus } from '../../shared/index.js';
import { startDesk } from '../app.js';
import { createDeskUpdates, createUpdateTracker, deskUpdatesOf, updateFeedUrl } from './index.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** The desk as updates see it, with sync's pending count set by the test. */
async function deskWithPending(pending: number, state: SyncStatus['state'] = 'online') {
  const dataDir = mkdtempSync(join(tmpdir(), 'carrel-updates-'));
  folders.push(dataDir);
  const desk = await startDesk({ dataDir, sync: { log: () => undefined } });
  expect((await desk.api.desk.loadDemo({})).ok).toBe(true);
  expect((await desk.api.staff.signIn({ initials: 'JD' })).ok).toBe(true);
  const installs: string[] = [];
  const updatable = {
    ...desk,
    sync: { status: (): SyncStatus => ({ ...desk.sync.status(), state, pending }) },
  };
  return { desk, dataDir, updatable, installs, install: () => installs.push('installed') };
}

const backupFiles = (dataDir: string) => {
  try {
    return readdirSync(join(dataDir, 'backups'));
  } catch {
    return [];
  }
};

describe('desk updates', () => {
  it('backs up first when scans are unsynced, then installs', async () => {
    const { desk, dataDir, updatable, installs, install } = await deskWithPending(12);
    desk.updates.downloaded('1.3.0');
    const updates = deskUpdatesOf(updatable);
    // Staff scan: the desk waits for a quiet moment ...
    const [item] = await desk.database.items.find({ skip: 300, limit: 1 }).exec();
    expect((await desk.api.checkin.scan({ barcode: item?.barcode ?? '' })).ok).toBe(true);
    expect((await updates.consider(install)).action).toBe('wait');
    expect(installs).toEqual([]);
    expect(backupFiles(dataDir)).toEqual([]);
    // ... unless staff ask; then the unsynced scans are backed up before the install.
    const decision = await updates.consider(install, true);
    expect(decision.action).toBe('install');
    expect(installs).toEqual(['installed']);
    expect(backupFiles(dataDir)).toHaveLength(1);
    expect(desk.updates.status()).toMatchObject({ state: 'ready', decision });
    updates.stop();
    await desk.close();
  });

  it('installs without a backup when everything is synced', async () => {
    const { desk, dataDir, updatable, installs, install } = await deskWithPending(0);
    desk.updates.downloaded('1.3.0');
    const updates = deskUpdatesOf(updatable);
    expect((await updates.consider(install)).action).toBe('install');
    expect(installs).toEqual(['installed']);
    expect(backupFiles(dataDir)).toEqual([]);
    await desk.close();
  });

  it('counts a desk that is not online as holding unsynced changes: backup first', async () => {
    for (const state of ['offline', 'error', 'syncing', 'disabled'] as const) {
      const { desk, dataDir, updatable, installs, install } = await deskWithPending(0, state);
      desk.updates.downloaded('1.3.0');
      expect((await deskUpdatesOf(updatable).consider(install, true)).action).toBe('install');
      expect(installs).toEqual(['installed']);
      expect(backupFiles(dataDir)).toHaveLength(1);
      await desk.close();
    }
  });

  it('does not install when the backup fails', async () => {
    const { desk, updatable, installs, install } = await deskWithPending(5);
    desk.updates.downloaded('1.3.0');
    const updates = createDeskUpdates({
      subscribe: (listener) =>
        updatable.events.subscribe((event: DeskEventName) => listener(event)),
      unsyncedChanges: () => 5,
      lastBackupAt: () => null,
      takeBackup: () => Promise.reject(new Error('disk full')),
      tracker: desk.updates,
      log: desk.log,
    });
    const decision = await updates.consider(install, true);
    expect(decision).toMatchObject({ action: 'wait' });
    expect(decision.reason).toContain('disk full');
    expect(installs).toEqual([]);
    await desk.close();
  });

  it('does nothing before an update is downloaded', async () => {
    const { desk, updatable, installs, install } = await deskWithPending(0);
    const updates = deskUpdatesOf(updatable);
    expect((await updates.consider(install, true)).action).toBe('wait');
    expect(installs).toEqual([]);
    await desk.close();
  });
});

describe('update status and feed', () => {
  it('follows the updater from no feed to a downloaded version', () => {
    const tracker = createUpdateTracker('1.2.0', () => new Date('2026-11-23T09:00:00Z'));
    expect(tracker.status()).toMatchObject({ state: 'unavailable', currentVersion: '1.2.0' });
    tracker.feed(updateFeedUrl('https://consortium.example/'));
    expect(tracker.status()).toMatchObject({
      state: 'idle',
      feedUrl: 'https://consortium.example/v1/updates/',
    });
    tracker.checking();
    tracker.downloading('1.3.0');
    tracker.downloaded('1.3.0');
    tracker.failed('feed unreachable');
    // A later failed check does not lose the downloaded update.
    expect(tracker.status()).toMatchObject({
      state: 'ready',
      availableVersion: '1.3.0',
      error: 'feed unreachable',
      lastCheckedAt: '2026-11-23T09:00:00.000Z',
    });
  });

  it('builds the generic feed URL from the server base URL', () => {
    expect(updateFeedUrl('https://c.example')).toBe('https://c.example/v1/updates/');
    expect(updateFeedUrl('https://c.example/carrel//')).toBe(
      'https://c.example/carrel/v1/updates/',
    );
  });
});
