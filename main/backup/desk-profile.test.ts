// Profile export and restore with a real desk: every record (a note's attachment included)
// arrives in a fresh folder; secrets travel only when staff ask.
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync, zipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { startDesk } from '../app.js';
import { hashPin, loadDeskSettings } from '../store/index.js';
import { ProfileError, restoreProfile } from './index.js';
import { demoDesk, everyDocument } from './test-desk.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

async function enrolledDemoDesk() {
  const made = await demoDesk();
  folders.push(made.dataDir);
  const { desk } = made;
  // As enrolment and a PIN sign-in would leave desk.json.
  desk.context.updateSettings((current) => ({
    ...current,
    staffPins: { JD: hashPin('4821') },
    sync: {
      serverUrl: 'https://consortium.example',
      token: 'desk-token-SECRET-1234567890',
      deskId: current.deskId,
      library: current.libraryCode ?? '',
      enrolledAt: '2026-11-20T10:00:00.000Z',
    },
  }));
  const note = await desk.api.notes.save({
    title: 'Clearing the hold shelf',
    body: 'Every Monday.',
    tags: ['holds'],
    scope: 'library',
  });
  if (!note.ok) throw new Error(note.error.message);
  const attached = await desk.api.notes.attach({
    noteId: note.value.note.noteId,
    fileName: 'shelf.png',
    mimeType: 'image/png',
    base64: PNG.toString('base64'),
  });
  if (!attached.ok) throw new Error(attached.error.message);
  return { ...made, noteId: note.value.note.noteId };
}

describe('desk profile', () => {
  it('exports every record and restores it into a fresh folder, without the secrets', async () => {
    const { desk, noteId } = await enrolledDemoDesk();
    const exported = await desk.api.maintenance.exportProfile({});
    if (!exported.ok) throw new Error(exported.error.message);
    expect(exported.value.mimeType).toBe('application/zip');
    expect(exported.value.fileName).toMatch(/^carrel-profile-.+\.zip$/);
    const zip = Buffer.from(exported.value.base64, 'base64');
    const entries = unzipSync(zip);
    expect(Object.keys(entries).sort()).toEqual(['desk.json', 'desk.sqlite', 'profile.json']);
    const settingsText = strFromU8(entries['desk.json'] ?? new Uint8Array());
    expect(settingsText).not.toContain('SECRET');
    expect(JSON.parse(settingsText)).toMatchObject({ staffPins: {} });
    expect(JSON.parse(settingsText)).not.toHaveProperty('sync');
    const before = await everyDocument(desk);
    const settingsBefore = desk.context.settings();
    await desk.close();

    const target = join(mkdtempSync(join(tmpdir(), 'carrel-restored-')), 'Carrel');
    folders.push(target);
    const manifest = restoreProfile(zip, target);
    expect(manifest).toMatchObject({ format: 1, app: '1.2.3-test', secretsIncluded: false });
    const restored = await startDesk({ dataDir: target, sync: { log: () => undefined } });
    try {
      expect(await everyDocument(restored)).toEqual(before);
      expect(restored.context.settings()).toMatchObject({
        deskId: settingsBefore.deskId,
        libraryCode: settingsBefore.libraryCode,
        staffPins: {},
      });
      expect(restored.context.settings().sync).toBeUndefined();
      // The note's file came along, byte for byte.
      const signedIn = await restored.api.staff.signIn({ initials: 'JD' });
      expect(signedIn.ok).toBe(true);
      const file = await restored.api.notes.attachment({ noteId, attachmentId: 'shelf.png' });
      if (!file.ok) throw new Error(file.error.message);
      expect(Buffer.from(file.value.base64, 'base64')).toEqual(PNG);
    } finally {
      await restored.close();
    }
  });

  it('carries the token and PIN hashes only when staff ask for them', async () => {
    const { desk, dataDir } = await enrolledDemoDesk();
    const exported = await desk.api.maintenance.exportProfile({ includeSecrets: true });
    if (!exported.ok) throw new Error(exported.error.message);
    await desk.close();
    const target = join(dataDir, 'elsewhere');
    restoreProfile(Buffer.from(exported.value.base64, 'base64'), target);
    expect(loadDeskSettings(target)).toEqual(loadDeskSettings(dataDir));
    expect(loadDeskSettings(target).sync?.token).toBe('desk-token-SECRET-1234567890');
  });

  it('never restores over a desk, and refuses what is not a profile, writing nothing', async () => {
    const { desk, dataDir } = await enrolledDemoDesk();
    const exported = await desk.api.maintenance.exportProfile({});
    if (!exported.ok) throw new Error(exported.error.message);
    await desk.close();
    const zip = Buffer.from(exported.value.base64, 'base64');
    expect(() => restoreProfile(zip, dataDir)).toThrow(
      expect.objectContaining({ code: 'profile_target_in_use' }),
    );

    const empty = join(dataDir, 'empty');
    mkdirSync(empty);
    const parts = unzipSync(zip);
    const badDatabase = zipSync({ ...parts, 'desk.sqlite': new TextEncoder().encode('garbage') });
    const badSettings = zipSync({ ...parts, 'desk.json': new TextEncoder().encode('{"a":1}') });
    const notAProfile = zipSync({ 'notes.txt': new Uint8Array(1) });
    for (const bad of [new Uint8Array([1, 2, 3]), notAProfile, badDatabase, badSettings]) {
      expect(() => restoreProfile(bad, empty)).toThrow(ProfileError);
      expect(readdirSync(empty)).toEqual([]);
    }
    writeFileSync(join(empty, 'desk.json'), '{}');
    expect(() => restoreProfile(zip, empty)).toThrow(
      expect.objectContaining({ code: 'profile_target_in_use' }),
    );
  });
});
