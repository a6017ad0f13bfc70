/**
 * bench:checkin — scan-to-durable-answer latency of check-in through the desk API (the
 * handlers the bridges serve, without a bridge), on a desk store seeded like a large member
 * of a consortium, against a floor measured in the same run: raw better-sqlite3 with the same
 * pragmas doing the same indexed lookups and one durable insert per scan.
 *
 * Full: 500,000 items, 100,000 holds, 50 libraries, 20,000 scans. BENCH_QUICK=1: a tenth of
 * the data and 2,000 scans (well under 60 s). Prints figures and ratios; never fails on time.
 * Writes bench/out/checkin.json.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeskHandlers } from '../main/api/desk-handlers.js';
import { createDeskContext } from '../main/context.js';
import {
  DURABLE_PRAGMAS,
  loadDeskSettings,
  openDeskStore,
  saveDeskSettings,
} from '../main/store/index.js';
import { codabarCheckDigit, type Hold, type Item, type Library } from '../shared/index.js';

const quick = process.env.BENCH_QUICK === '1';
const LIBRARIES = 50;
const ITEMS = quick ? 50_000 : 500_000;
const HOLDS = quick ? 10_000 : 100_000;
const SCANS = quick ? 2_000 : 20_000;
/**
 * Scans checked in before the timed ones, on both sides alike and untimed: the first scans of
 * a process pay for JIT compilation and cold caches once, which a desk that runs all day does
 * not pay per scan. Other barcodes than the timed ones.
 */
const WARMUP = quick ? 200 : 1_000;
const HERE = 'L00';
const holdBibs = () => sample(7, HOLDS, Math.floor(ITEMS / 3));
const holdPickups = () => sample(8, HOLDS, LIBRARIES);

/** Deterministic pseudo-random integers in [0, max), so runs are comparable. */
function sample(seed: number, count: number, max: number): number[] {
  return fc.sample(fc.integer({ min: 0, max: max - 1 }), { seed, numRuns: count });
}

const code = (n: number) => `L${String(n).padStart(2, '0')}`;
const prefix = (n: number) => `3${String(1000 + n).padStart(4, '0')}`;
function barcodeOf(n: number): string {
  const library = n % LIBRARIES;
  const first13 = `${prefix(library)}${String(n).padStart(8, '0')}`;
  return `${first13}${codabarCheckDigit(first13)}`;
}
const stamp = { updatedAt: '2026-11-01T00:00:00.000Z', deskId: 'server' };

function libraries(): Library[] {
  return Array.from({ length: LIBRARIES }, (_, n) => ({
    code: code(n),
    name: `Library ${n}`,
    barcodePrefixes: [prefix(n)],
    barcodeRule: { lengths: [14], checkDigit: 'codabar-mod10' as const },
    floatingRules: { libraries: n % 10 === 0 ? [code(0), code(10)] : [], callNumberPrefixes: [] },
    localPickupFirst: true,
    timeZone: 'America/Chicago',
    crateCapacity: 40,
    holdShelfDays: 7,
    ...stamp,
  }));
}

function itemAt(n: number): Item {
  return {
    barcode: barcodeOf(n),
    bibId: `b${Math.floor(n / 3)}`,
    title: `A title of the shared collection, number ${n}`,
    author: 'Author, An',
    callNumber: `FIC ${String.fromCharCode(65 + (n % 26))}`,
    owner: code(n % LIBRARIES),
    location: code(n % LIBRARIES),
    floating: false,
    status: 'checked_out',
    ...stamp,
  };
}

/** Hold n: for record `bib`, picked up at library `pickup`. */
function holdAt(n: number, bib: number, pickup: number): Hold {
  return {
    id: `01JR${String(n).padStart(22, '0')}`,
    bibId: `b${bib}`,
    patronRef: `p${n}`,
    shelfName: `SHELF${n}`,
    pickupLibrary: code(pickup),
    pullLibrary: code(bib % LIBRARIES),
    status: 'pending',
    requestedAt: new Date(Date.UTC(2026, 9, 1) + n * 1000).toISOString(),
    ...stamp,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

/** Seeds the desk store; run in a child process so seeding's garbage is not the desk's RSS. */
async function seed(dataDir: string): Promise<void> {
  const store = await openDeskStore({ dataDir });
  await store.db.libraries.bulkInsert(libraries());
  for (let start = 0; start < ITEMS; start += 10_000) {
    const batch = [];
    for (let n = start; n < Math.min(ITEMS, start + 10_000); n++) batch.push(itemAt(n));
    await store.db.items.bulkInsert(batch);
  }
  const bibs = holdBibs();
  const pickups = holdPickups();
  for (let start = 0; start < HOLDS; start += 10_000) {
    const batch = [];
    for (let n = start; n < Math.min(HOLDS, start + 10_000); n++) {
      batch.push(holdAt(n, bibs[n] ?? 0, pickups[n] ?? 0));
    }
    await store.db.holds.bulkInsert(batch);
  }
  await store.close();
}

async function measureOurs(dataDir: string, scans: string[], untimed: number) {
  let seeded = performance.now();
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, '--seed', dataDir],
    {
      stdio: 'inherit',
      env: process.env,
    },
  );
  if (child.status !== 0) throw new Error('seeding failed');
  seeded = performance.now() - seeded;
  console.log(
    `  seeded ${ITEMS} items, ${HOLDS} holds in ${(seeded / 1000).toFixed(1)} s (child process)`,
  );

  const store = await openDeskStore({ dataDir });
  const settings = { ...loadDeskSettings(dataDir), libraryCode: HERE };
  saveDeskSettings(dataDir, settings);
  let clock = Date.parse('2026-11-23T14:00:00.000Z');
  const ctx = createDeskContext({
    store,
    version: 'bench',
    settings,
    saveSettings: (s) => saveDeskSettings(dataDir, s),
    events: { emit: () => undefined },
    now: () => new Date(clock),
  });
  const api = createDeskHandlers(ctx);
  await api.staff.signIn({ initials: 'BN' });

  const times: number[] = [];
  let done = 0;
  const routes = new Map<string, number>();
  for (const barcode of scans) {
    clock += 1500;
    // Between two scans the event loop turns, as it does between a desk's real scans (which
    // come seconds apart): the store's housekeeping (WAL checkpoints) runs there.
    await new Promise((resolve) => setImmediate(resolve));
    const cpu = process.cpuUsage();
    const started = performance.now();
    const answer = await api.checkin.scan({ barcode });
    times.push(performance.now() - started);
    if (++done === untimed) times.length = 0;
    const used = process.cpuUsage(cpu);
    if (process.env.BENCH_TRACE && times[times.length - 1]! > 3) {
      console.log(
        `cpu ${((used.user + used.system) / 1000).toFixed(1)} ms (sys ${(used.system / 1000).toFixed(1)})`,
      );
    }
    if (!answer.ok) throw new Error(`scan failed: ${answer.error.code}`);
    if (process.env.BENCH_TRACE && times[times.length - 1]! > 3) {
      console.log(
        `slow ${times[times.length - 1]!.toFixed(1)} ms #${times.length} ${answer.value.outcome.route} warnings=${answer.value.warnings.map((w) => w.code).join(',')}`,
      );
    }
    if (done > untimed) {
      routes.set(answer.value.outcome.route, (routes.get(answer.value.outcome.route) ?? 0) + 1);
    }
    // Staff seal a crate when it is full (not timed: it is not the scan path).
    if (answer.value.crate && answer.value.crate.count >= answer.value.crate.capacity) {
      await api.crates.seal({ crateId: answer.value.crate.crateId });
    }
  }
  if (process.env.BENCH_TRACE) {
    const m = process.memoryUsage();
    console.log(
      `  after scans: rss ${Math.round(m.rss / 1e6)} MB, heap ${Math.round(m.heapUsed / 1e6)} MB, external ${Math.round(m.external / 1e6)} MB, arrayBuffers ${Math.round(m.arrayBuffers / 1e6)} MB`,
    );
  }
  await store.close();
  return { times, routes };
}

/** The floor: the same lookups with prepared statements, one durable insert per scan. */
function measureFloor(dataDir: string, scans: string[], untimed: number) {
  const db = new Database(join(dataDir, 'floor.sqlite'));
  for (const pragma of DURABLE_PRAGMAS) db.pragma(pragma);
  db.exec(`
    CREATE TABLE items (barcode TEXT PRIMARY KEY, bib TEXT, data TEXT);
    CREATE INDEX items_bib ON items (bib);
    CREATE TABLE holds (id TEXT PRIMARY KEY, bib TEXT, data TEXT);
    CREATE INDEX holds_bib ON holds (bib);
    CREATE TABLE crate_scans (id TEXT PRIMARY KEY, barcode TEXT, at TEXT, data TEXT);
    CREATE INDEX crate_scans_barcode ON crate_scans (barcode, at);
    CREATE TABLE checkins (id TEXT PRIMARY KEY, barcode TEXT, at TEXT, data TEXT);
    CREATE INDEX checkins_barcode ON checkins (barcode, at);
  `);
  const insertItem = db.prepare('INSERT INTO items VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let n = 0; n < ITEMS; n++) {
      const item = itemAt(n);
      insertItem.run(item.barcode, item.bibId, JSON.stringify(item));
    }
  })();
  const insertHold = db.prepare('INSERT INTO holds VALUES (?, ?, ?)');
  const bibs = holdBibs();
  const pickups = holdPickups();
  db.transaction(() => {
    for (let n = 0; n < HOLDS; n++) {
      const hold = holdAt(n, bibs[n] ?? 0, pickups[n] ?? 0);
      insertHold.run(hold.id, hold.bibId, JSON.stringify(hold));
    }
  })();
  const findItem = db.prepare('SELECT data FROM items WHERE barcode = ?').pluck();
  const findHolds = db.prepare('SELECT data FROM holds WHERE bib = ?').pluck();
  const findCrateScans = db
    .prepare('SELECT data FROM crate_scans WHERE barcode = ? ORDER BY at DESC LIMIT 20')
    .pluck();
  const lastCheckin = db
    .prepare('SELECT data FROM checkins WHERE barcode = ? ORDER BY at DESC LIMIT 1')
    .pluck();
  const insertCheckin = db.prepare('INSERT INTO checkins VALUES (?, ?, ?, ?)');
  const times: number[] = [];
  let n = 0;
  for (const barcode of scans) {
    const started = performance.now();
    const data = findItem.get(barcode) as string | undefined;
    const item = data ? (JSON.parse(data) as Item) : undefined;
    if (item) (findHolds.all(item.bibId) as string[]).map((h) => JSON.parse(h) as Hold);
    findCrateScans.all(barcode);
    lastCheckin.get(barcode);
    const at = new Date(Date.UTC(2026, 10, 23) + n * 1500).toISOString();
    insertCheckin.run(
      `c${n}`,
      barcode,
      at,
      JSON.stringify({ barcode, at, outcome: { route: 'reshelve' } }),
    );
    n += 1;
    times.push(performance.now() - started);
    if (n === untimed) times.length = 0;
  }
  db.close();
  return { times };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-checkin-'));
  const scans = sample(42, SCANS, ITEMS).map(barcodeOf);
  const warmup = sample(43, WARMUP, ITEMS).map(barcodeOf);
  const started = performance.now();
  try {
    console.log(
      `bench:checkin ${quick ? '(quick)' : ''}: ${SCANS} timed scans at ${HERE} after ${WARMUP} untimed`,
    );
    const ours = await measureOurs(join(dir, 'desk'), [...warmup, ...scans], WARMUP);
    const oursRss = peakRssMb();
    const floor = measureFloor(dir, [...warmup, ...scans], WARMUP);
    const sortedOurs = [...ours.times].sort((a, b) => a - b);
    const sortedFloor = [...floor.times].sort((a, b) => a - b);
    const result = {
      p50_ms: percentile(sortedOurs, 50),
      p99_ms: percentile(sortedOurs, 99),
      floor_p50_ms: percentile(sortedFloor, 50),
      floor_p99_ms: percentile(sortedFloor, 99),
      rss_mb: Math.round(oursRss),
      items: ITEMS,
      holds: HOLDS,
    };
    console.log(`  routes: ${[...ours.routes].map(([r, n]) => `${r} ${n}`).join(', ')}`);
    console.log('');
    console.log('                 p50 ms    p99 ms');
    console.log(
      `  ours          ${result.p50_ms.toFixed(3).padStart(8)}  ${result.p99_ms.toFixed(3).padStart(8)}`,
    );
    console.log(
      `  floor         ${result.floor_p50_ms.toFixed(3).padStart(8)}  ${result.floor_p99_ms.toFixed(3).padStart(8)}`,
    );
    console.log(
      `  ours/floor    ${(result.p50_ms / result.floor_p50_ms).toFixed(2).padStart(8)}  ${(result.p99_ms / result.floor_p99_ms).toFixed(2).padStart(8)}`,
    );
    console.log(`  peak RSS of the desk run: ${result.rss_mb} MB`);
    console.log(
      `  targets: p99 <= 5 ms (${result.p99_ms <= 5 ? 'met' : 'MISSED'}), p99 within 3x of the floor (${result.p99_ms <= 3 * result.floor_p99_ms ? 'met' : 'MISSED'}), RSS <= 400 MB (${result.rss_mb <= 400 ? 'met' : 'MISSED'})`,
    );
    const out = join(import.meta.dirname, 'out');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'checkin.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `wrote ${join(out, 'checkin.json')}; wall time ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const seedAt = process.argv.indexOf('--seed');
if (seedAt >= 0) await seed(process.argv[seedAt + 1] ?? '');
else await main();
