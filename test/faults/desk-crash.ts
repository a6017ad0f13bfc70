// The desk-crash run (issue #6 item 1): a whole desk in a child process checks items in and
// packs crates through the desk API at full speed and reports every answer; it is SIGKILLed
// at seeded random moments. After each kill: SQLite's integrity check is ok, and every scan
// ever acknowledged is in the store exactly once with the outcome it was given, every item
// acknowledged as packed is in its crate. Extends test/store-crash.test.ts (the storage
// alone) to the desk API and its write groups.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { databaseFilePath, openDeskStore } from '../../main/store/index.js';
import { sameValue } from '../../shared/index.js';
import { seededRandom } from '../support/fault-proxy.js';
import { item, itemBarcode, library } from '../support/desk.js';
import type { Ack } from './harness.js';

export interface DeskCrashReport {
  readonly seed: number;
  readonly deskKills: number;
  /** Kills that cut the desk while it was answering (at least one answer in that round). */
  readonly killsWhileWriting: number;
  readonly acknowledged: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly problems: string[];
}

interface CrateAck {
  readonly crateId: string;
  readonly barcode: string;
}

function runUntilKilled(
  dataDir: string,
  round: number,
  delayMs: number,
): Promise<{ scans: Ack[]; crates: CrateAck[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'fixtures', 'crash-desk.ts'),
        dataDir,
        String(round),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const scans: Ack[] = [];
    const crates: CrateAck[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') {
        setTimeout(() => child.kill('SIGKILL'), delayMs);
        return;
      }
      // A line cut by the kill was never a whole answer: only whole lines count.
      try {
        const message = JSON.parse(line) as { scan?: Ack; crate?: CrateAck };
        if (message.scan) scans.push(message.scan);
        if (message.crate) crates.push(message.crate);
      } catch {
        // the last, partial line
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`desk ended without being killed: ${stderr}`));
      else resolve({ scans, crates });
    });
  });
}

export async function runDeskCrashes(options: {
  seed: number;
  kills: number;
  log?: (line: string) => void;
}): Promise<DeskCrashReport> {
  const random = seededRandom(options.seed);
  const scratch = mkdtempSync(join(tmpdir(), 'carrel-desk-crash-'));
  const dataDir = join(scratch, 'desk');
  mkdirSync(dataDir);
  const libraries = [library('MAIN', '33907'), library('EAST', '33908'), library('WEST', '33909')];
  const items = Array.from({ length: 300 }, (_, k) => item(itemBarcode('33907', k), 'MAIN'));
  const foreign = Array.from({ length: 300 }, (_, k) =>
    itemBarcode(k % 2 ? '33908' : '33909', 1_000 + k),
  );
  writeFileSync(
    join(scratch, 'seed.json'),
    JSON.stringify({ library: 'MAIN', libraries, items, foreign, seed: options.seed }),
  );
  const scans: Ack[] = [];
  const crates: CrateAck[] = [];
  const problems: string[] = [];
  let killsWhileWriting = 0;
  let lost = 0;
  let duplicated = 0;
  try {
    for (let round = 0; round < options.kills; round++) {
      // The first round also seeds the desk: give it longer before the kill.
      // At least 100 ms: a kill at the very moment the desk says ready proves little.
      const delay = (round === 0 ? 1_500 : 100) + Math.floor(random() * 400);
      const acked = await runUntilKilled(dataDir, round, delay);
      if (acked.scans.length + acked.crates.length > 0) killsWhileWriting += 1;
      scans.push(...acked.scans);
      crates.push(...acked.crates);

      const file = new Database(databaseFilePath(dataDir, 'desk'));
      const integrity = file.pragma('integrity_check', { simple: true });
      file.close();
      if (integrity !== 'ok') problems.push(`round ${round}: integrity_check ${String(integrity)}`);

      const store = await openDeskStore({ dataDir });
      try {
        const stored = await store.data.find('checkins', { selector: {} });
        const byId = new Map(stored.map((doc) => [doc.id, doc]));
        // One answer stored twice: a row equal in everything but its id to an acknowledged
        // row, and not acknowledged itself. (Two real scans of a barcode in one millisecond
        // can be equal too, both set aside as repeats, but then both were acknowledged.)
        const ackedIds = new Set(scans.map((ack) => ack.checkinId));
        const sameContent = new Map<string, string[]>();
        for (const doc of stored) {
          const key = JSON.stringify(
            Object.entries(doc as Record<string, unknown>)
              .filter(([field]) => !['id', '_rev', '_meta', '_attachments'].includes(field))
              .sort(([a], [b]) => (a < b ? -1 : 1)),
          );
          sameContent.set(key, [...(sameContent.get(key) ?? []), doc.id]);
        }
        lost = 0;
        for (const ack of scans) {
          const doc = byId.get(ack.checkinId);
          if (!doc || doc.barcode !== ack.barcode || !sameValue(doc.outcome, ack.outcome)) {
            lost += 1;
            problems.push(`round ${round}: scan ${ack.checkinId} is not stored as answered`);
          }
        }
        duplicated = 0;
        for (const ids of sameContent.values()) {
          if (ids.length > 1 && ids.some((id) => ackedIds.has(id))) {
            duplicated += ids.filter((id) => !ackedIds.has(id)).length;
          }
        }
        if (duplicated > 0) problems.push(`round ${round}: ${duplicated} scans stored twice`);
        const packed = await store.data.find('crateScans', { selector: { action: 'add' } });
        const inCrate = new Set(packed.map((doc) => `${doc.crateId}|${doc.barcode}`));
        for (const ack of crates) {
          if (!inCrate.has(`${ack.crateId}|${ack.barcode}`)) {
            lost += 1;
            problems.push(`round ${round}: ${ack.barcode} packed in ${ack.crateId} is gone`);
          }
        }
      } finally {
        await store.close();
      }
      options.log?.(
        `kill ${round + 1}: ${acked.scans.length} scans, ${acked.crates.length} packed this round`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    seed: options.seed,
    deskKills: options.kills,
    killsWhileWriting,
    acknowledged: scans.length + crates.length,
    lost,
    duplicated,
    problems,
  };
}
