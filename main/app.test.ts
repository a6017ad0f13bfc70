import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDesk } from './app.js';

let scratch: string;

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'carrel-app-'));
});

afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('startDesk', () => {
  it('creates a missing data folder, parents included, and writes nothing in it', async () => {
    const dataDir = join(scratch, 'profile', 'Carrel');
    const desk = await startDesk({ dataDir });
    expect(desk.dataDir).toBe(dataDir);
    expect((await stat(dataDir)).isDirectory()).toBe(true);
    expect(await readdir(dataDir)).toEqual([]);
    await desk.close();
  });

  it('keeps what an earlier run left in the folder', async () => {
    await writeFile(join(scratch, 'earlier.txt'), 'recorded');
    const desk = await startDesk({ dataDir: scratch });
    expect(await readdir(scratch)).toEqual(['earlier.txt']);
    await desk.close();
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
