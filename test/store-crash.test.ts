/**
 * Crash test: a child process writes to the desk store in a loop and reports each
 * acknowledged write; it is killed with SIGKILL at random moments. After every kill, every
 * acknowledged write must be in the database, and SQLite's integrity check must say ok.
 * The seed is printed; CRASH_SEED=<seed> replays a run, CRASH_ROUNDS sets how many kills.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createRxDatabase, type RxCollection } from 'rxdb';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseFilePath, getRxStorageSqlite } from '../main/store/sqlite/index.js';
import { crashScanSchema, type CrashScan } from './fixtures/crash-schema.js';

const rounds = Number(process.env.CRASH_ROUNDS ?? 24);
const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);

/** Runs the writer until it is killed `delayMs` after it is ready; returns the acknowledged ids. */
function runWriterAndKill(directory: string, round: number, delayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'fixtures', 'crash-writer.ts'),
        directory,
        String(round),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const acked: string[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line === 'ready') {
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      } else if (line.startsWith('ack ')) {
        acked.push(line.slice(4));
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer ended without being killed: ${stderr}`));
      else resolve(acked);
    });
  });
}

const directory = mkdtempSync(join(tmpdir(), 'carrel-crash-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('the desk store under SIGKILL', () => {
  it(`keeps every acknowledged write over ${rounds} kills (seed ${seed})`, async () => {
    console.info(`crash test seed ${seed}, ${rounds} rounds`);
    // Seeded kill delays (0-399 ms after the writer is ready), so a failing seed replays.
    const delays = fc.sample(fc.integer({ min: 0, max: 399 }), { seed, numRuns: rounds });
    const allAcked: string[] = [];
    let killsWithWrites = 0;
    for (let round = 0; round < rounds; round++) {
      const acked = await runWriterAndKill(directory, round, delays[round] ?? 0);
      if (acked.length > 0) killsWithWrites += 1;
      allAcked.push(...acked);

      const file = new Database(databaseFilePath(directory, 'desk'));
      expect(file.pragma('integrity_check', { simple: true })).toBe('ok');
      // A write group is never torn, acknowledged or not: its scan and crate scan are both
      // there or both absent.
      const ids = (table: string) =>
        new Set(file.prepare(`SELECT id FROM "${table}" WHERE id LIKE '%-g'`).pluck().all());
      const grouped = ids('scans__v0');
      const groupedCrate = ids('crateScans__v0');
      expect([...grouped].filter((id) => !groupedCrate.has(id))).toEqual([]);
      expect([...groupedCrate].filter((id) => !grouped.has(id))).toEqual([]);
      file.close();

      const db = await createRxDatabase<{ scans: RxCollection<CrashScan> }>({
        name: 'desk',
        storage: getRxStorageSqlite({ directory }),
        multiInstance: false,
      });
      await db.addCollections({ scans: { schema: crashScanSchema } });
      const found = await db.scans.findByIds(allAcked).exec();
      const missing = allAcked.filter((id) => !found.has(id));
      await db.close();
      expect(missing, `round ${round}, seed ${seed}`).toEqual([]);
    }
    console.info(`${allAcked.length} acknowledged writes over ${rounds} kills, none lost`);
    // Most rounds must have been killed while writing, or the test proves little.
    expect(killsWithWrites).toBeGreaterThan(rounds / 2);
  });
});
