// The support bundle of a real desk with the demo consortium's holds: logs, settings, counts,
// versions, and not one patron reference, shelf name or held item's barcode.
import { readFileSync, rmSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { demoDesk } from './test-desk.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('support bundle', () => {
  it('carries logs, settings, counts and versions, and no patron data', async () => {
    const { desk, dataDir } = await demoDesk();
    folders.push(dataDir);
    desk.context.updateSettings((current) => ({
      ...current,
      staffPins: { JD: 'c2FsdA==:ZGlnZXN0LXRoYXQtbXVzdC1ub3QtbGVhaw==' },
      sync: {
        serverUrl: 'https://consortium.example',
        token: 'desk-token-SECRET-1234567890',
        deskId: current.deskId,
        library: current.libraryCode ?? '',
        enrolledAt: '2026-11-20T10:00:00.000Z',
      },
    }));
    const holds = (await desk.database.holds.find().exec()).map((hold) => hold.toJSON());
    const patronRefs = holds.flatMap((hold) => (hold.patronRef ? [hold.patronRef] : []));
    const shelfNames = holds.flatMap((hold) => (hold.shelfName ? [hold.shelfName] : []));
    const heldBarcodes = holds.flatMap((hold) =>
      [hold.itemBarcode, hold.capturedItemBarcode].filter((b): b is string => b !== undefined),
    );
    expect(patronRefs.length).toBeGreaterThan(10);
    expect(heldBarcodes.length).toBeGreaterThan(0);
    // A careless log line, the kind the bundle must catch (no desk code writes one).
    const [patron, shelf, barcode] = [patronRefs[0], shelfNames[0], heldBarcodes[0]];
    desk.log(`debug: hold for ${patron} on shelf ${shelf}, item ${barcode}`);
    desk.log('sync: pull finished');

    const answer = await desk.api.maintenance.supportBundle({});
    if (!answer.ok) throw new Error(answer.error.message);
    expect(answer.value).toMatchObject({ mimeType: 'application/zip' });
    const files = unzipSync(Buffer.from(answer.value.base64, 'base64'));
    expect(Object.keys(files).sort()).toEqual([
      'about.json',
      'backups.json',
      'counts.json',
      'logs/desk.log',
      'settings.json',
      'sync-status.json',
      'update-status.json',
    ]);
    const text = Object.values(files)
      .map((bytes) => strFromU8(bytes))
      .join('\n');
    for (const secret of [...patronRefs, ...shelfNames, ...heldBarcodes]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain('SECRET');
    expect(text).not.toContain('ZGlnZXN0');
    const log = strFromU8(files['logs/desk.log'] ?? new Uint8Array());
    expect(log).toContain('debug: hold for [removed] on shelf [removed], item [removed]');
    expect(log).toContain('sync: pull finished');
    // The desk's own log file still has the line: the bundle scrubs its copy only.
    expect(readFileSync(`${dataDir}/logs/desk.log`, 'utf8')).toContain(String(patron));

    const read = (name: string) =>
      JSON.parse(strFromU8(files[name] ?? new Uint8Array())) as unknown;
    expect(read('settings.json')).toMatchObject({
      staffWithPin: 1,
      sync: { serverUrl: 'https://consortium.example', token: '[removed]' },
    });
    expect(read('counts.json')).toMatchObject({
      holds: holds.length,
      checkins: await desk.database.checkins.count().exec(),
    });
    expect(read('about.json')).toMatchObject({
      app: '1.2.3-test',
      versions: { node: process.versions.node },
    });
    expect(read('update-status.json')).toMatchObject({ state: 'unavailable' });
    await desk.close();
  });
});
