import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReplicationStore } from '../store/index.js';
import { openParcelStore, parcel, temporaryFolder } from '../store/testing/parcels.js';
import { watchHistory } from './history.js';

let folder: ReturnType<typeof temporaryFolder>;
let store: ReplicationStore;
const lines: string[] = [];
beforeEach(async () => {
  folder = temporaryFolder();
  store = await openParcelStore(folder.path);
  lines.length = 0;
});
afterEach(async () => {
  await store.close();
  folder.remove();
});

const watch = (newHistory = false, refreshMs?: number, evidenceSpacingMs?: number) =>
  watchHistory(store, {
    file: join(folder.path, 'history.json'),
    collections: ['parcels', 'parcelTags', 'tools'],
    newHistory,
    log: (line) => lines.push(line),
    ...(refreshMs === undefined ? {} : { refreshMs }),
    ...(evidenceSpacingMs === undefined ? {} : { evidenceSpacingMs }),
  });

describe('the history watch', () => {
  it('keeps the history across restarts while the database only moves forward', async () => {
    const first = await watch();
    await store.push(
      'parcels',
      [{ assumedMasterState: null, newDocumentState: parcel('p1', ['A']) }],
      {
        deskId: 'd',
        library: 'A',
      },
    );
    first.close();
    const second = await watch();
    expect(second.current()).toBe(first.current());
    second.close();
    expect(lines).toEqual([]);
  });

  it('starts a new history when the database is behind what was served, or when told', async () => {
    const first = await watch();
    first.close();
    // The mark says seq 50 was served in this history; the database holds nothing.
    writeFileSync(
      join(folder.path, 'history.json'),
      JSON.stringify({ history: first.current(), seq: 50 }),
    );
    const restored = await watch();
    expect(restored.current()).not.toBe(first.current());
    expect(await store.history()).toBe(restored.current());
    expect(lines.at(-1)).toContain('restored from a backup');
    restored.close();
    const told = await watch(true);
    expect(told.current()).not.toBe(restored.current());
    told.close();
    // A mark of another history (another database's) proves nothing.
    writeFileSync(join(folder.path, 'history.json'), JSON.stringify({ history: 'other', seq: 50 }));
    const unrelated = await watch();
    expect(unrelated.current()).toBe(told.current());
    unrelated.close();
  });

  it('starts a new history on a pull past the database in its own history, once', async () => {
    const context = { deskId: 'd', library: 'A' };
    await store.push(
      'parcels',
      [{ assumedMasterState: null, newDocumentState: parcel('p1', ['A']) }],
      context,
    );
    // A new data folder: no mark; the database holds seq 1.
    const restored = await watch();
    const first = restored.current();
    // Pulls from checkpoints the database has, or naming another history: nothing happens.
    await restored.pulledPast('parcels', 1, first, 'd1');
    await restored.pulledPast('parcels', 40, 'an-older-history', 'd1');
    expect(restored.current()).toBe(first);
    expect(lines).toEqual([]);
    // A desk of this history pulls after seq 40: the database went back in time.
    await Promise.all([
      restored.pulledPast('parcels', 40, first, 'd1'),
      restored.pulledPast('parcels', 41, first, 'd2'),
    ]);
    const second = restored.current();
    expect(second).not.toBe(first);
    expect(await store.history()).toBe(second);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Desk d1 pulls parcels after change 40');
    // The same word again, in the new history, within the spacing: no third history.
    await restored.pulledPast('parcels', 40, second, 'd1');
    expect(restored.current()).toBe(second);
    restored.close();
  });

  it('follows a new history another instance started on the same database', async () => {
    const running = await watch(false, 20);
    const other = await openParcelStore(folder.path);
    try {
      const started = await other.startNewHistory();
      const deadline = Date.now() + 5_000;
      while (running.current() !== started && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(running.current()).toBe(started);
      expect(lines.at(-1)).toContain('Another server instance started a new history');
    } finally {
      running.close();
      await other.close();
    }
  });
});
