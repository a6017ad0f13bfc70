/**
 * Store benchmark: RxDB's own performance test (`runPerformanceTests`) on our SQLite RxStorage
 * and on RxDB's memory storage, plus a floor: raw better-sqlite3 doing the same writes and
 * reads with the same pragmas. Prints a table and writes bench/out/store.json.
 *
 * A benchmark, not a test: it reports figures and ratios and never fails on time.
 *
 *   npm run bench:store                 RxDB's default config, 40 runs (about a minute)
 *   BENCH_QUICK=1 npm run bench:store   same sizes, 10 runs (well under a minute)
 */
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillWithDefaultSettings, type RxStorage } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import {
  averageOfTimeValues,
  averageSchema,
  averageSchemaData,
  runPerformanceTests,
  type AverageSchemaDocumentType,
  type PerformanceTestConfig,
  type PerformanceTestResult,
} from 'rxdb/plugins/test-utils';
import { DURABLE_PRAGMAS, getRxStorageSqlite } from '../main/store/sqlite/index.js';

// ---------------------------------------------------------------------------------------------
// Configuration

const QUICK = process.env.BENCH_QUICK === '1';

/**
 * RxDB's defaults: runs 40, collectionsAmount 4, docsAmount 3000, serialDocsAmount 50,
 * parallelQueryAmount 4, insertBatches 6, waitBetweenTests 100. The full bench keeps all of
 * them; the quick one only runs fewer times (the sizes stay, since the targets and the metric
 * names, e.g. `insert-documents-500`, are stated for them). `waitBetweenTests` is 0: RxDB's
 * sleeps lie outside its timed sections, so they would only add wall time.
 */
const CONFIG = {
  runs: QUICK ? 10 : 40,
  collectionsAmount: 4,
  docsAmount: 3000,
  serialDocsAmount: 50,
  parallelQueryAmount: 4,
  insertBatches: 6,
  waitBetweenTests: 0,
  log: false,
} as const satisfies PerformanceTestConfig;

/** RxDB's averageOfTimeValues drops this share of the slowest runs; the floor uses the same. */
const STRIP_HIGHEST_PERCENT = 95;

/** Ours must stay within this factor of raw better-sqlite3 wherever a floor applies. */
const FLOOR_TARGET = 2;

/**
 * Targets for ours/memory, by RxDB metric name. Serial inserts are durable commits (one fsync
 * each), which memory cannot do, so they are judged against the floor only.
 */
const MEMORY_TARGETS: readonly { readonly metric: RegExp; readonly ratio: number }[] = [
  { metric: /^insert-documents-\d+$/, ratio: 27.8 },
  { metric: /^find-by-ids-\d+$/, ratio: 4.9 },
  { metric: /^serial-find-by-id-\d+$/, ratio: 4.9 },
  { metric: /^find-by-query$/, ratio: 7.0 },
  { metric: /^find-by-query-parallel-\d+$/, ratio: 5.1 },
  { metric: /^4x-count$/, ratio: 7.2 },
];

function memoryTarget(metric: string): number | undefined {
  return MEMORY_TARGETS.find((t) => t.metric.test(metric))?.ratio;
}

const OUT_FILE = join(dirname(fileURLToPath(import.meta.url)), 'out', 'store.json');

// ---------------------------------------------------------------------------------------------
// RxDB's performance test

/** The keys of a PerformanceTestResult that are not timings. */
const NON_METRIC_KEYS = new Set(['description', 'collectionsAmount', 'docsAmount']);

type Timings = Map<string, number>;

function timingsOf(result: PerformanceTestResult): Timings {
  const timings: Timings = new Map();
  for (const [key, value] of Object.entries(result)) {
    if (!NON_METRIC_KEYS.has(key) && typeof value === 'number') timings.set(key, value);
  }
  return timings;
}

async function runRxdb(storage: RxStorage<unknown, unknown>, description: string) {
  const started = performance.now();
  const result = await runPerformanceTests(storage, description, CONFIG);
  const seconds = (performance.now() - started) / 1000;
  console.log(`  ${description}: ${CONFIG.runs} runs in ${seconds.toFixed(1)} s`);
  return timingsOf(result);
}

// ---------------------------------------------------------------------------------------------
// The floor: raw better-sqlite3

/**
 * The RxDB average schema as RxDB stores it: its indexes with `_deleted` in front and the
 * primary key behind, plus RxDB's own ['_meta.lwt', id] index. The floor table gets one
 * indexed column per index, so it maintains as many B-trees per write as ours does.
 */
const STORED_INDEXES: readonly (readonly string[])[] = (
  fillWithDefaultSettings(averageSchema()).indexes ?? []
).map((index) => (Array.isArray(index) ? index.map(String) : [String(index)]));

type StoredDoc = AverageSchemaDocumentType & {
  _deleted: boolean;
  _rev: string;
  _attachments: Record<string, never>;
  _meta: { lwt: number };
};

/** The document as RxDB hands it to a storage, so the floor stores JSON of the same size. */
function storedDoc(doc: AverageSchemaDocumentType): StoredDoc {
  return { ...doc, _deleted: false, _rev: '1-bench000', _attachments: {}, _meta: { lwt: now() } };
}

let lastNow = 0;
/** Strictly increasing milliseconds with decimals, as RxDB's `_meta.lwt`. */
function now(): number {
  lastNow = Math.max(Date.now(), lastNow + 0.01);
  return lastNow;
}

const SEP = '\u0001';
const SEP_AFTER = '\u0002';

function valueAt(doc: unknown, path: string): unknown {
  let value = doc;
  for (const part of path.split('.')) value = (value as Record<string, unknown>)[part];
  return value;
}

/** A plain, order-preserving TEXT key (values here are non-negative numbers or strings). */
function encode(value: unknown): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return value.toFixed(3).padStart(24, '0');
  return String(value);
}

function indexKey(doc: StoredDoc, fields: readonly string[]): string {
  return fields.map((field) => encode(valueAt(doc, field))).join(SEP);
}

/** Key range [lower, upper) of the rows whose leading index fields equal `values`. */
function prefixRange(values: readonly unknown[]): [string, string] {
  const prefix = values.map(encode).join(SEP);
  return [prefix + SEP, prefix + SEP_AFTER];
}

function indexColumn(fields: readonly string[]): string {
  const i = STORED_INDEXES.findIndex((index) => index.join(',') === fields.join(','));
  if (i < 0) throw new Error(`the average schema has no index ${fields.join(',')}`);
  return `i${i}`;
}

/** One connection on the file, opened as ours opens its writer (DURABLE_PRAGMAS). */
class FloorFile {
  readonly db: Database.Database;
  readonly insert: Database.Statement;
  readonly byId: Database.Statement;
  readonly range: (column: string) => Database.Statement;
  readonly countRange: (column: string) => Database.Statement;

  constructor(path: string) {
    this.db = new Database(path);
    for (const pragma of DURABLE_PRAGMAS) this.db.pragma(pragma);
    const columns = STORED_INDEXES.map((_f, i) => `i${i}`);
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, ` +
        `${columns.map((c) => `${c} TEXT NOT NULL`).join(', ')})`,
    );
    for (const c of columns) this.db.exec(`CREATE INDEX IF NOT EXISTS docs_${c} ON docs (${c})`);
    this.insert = this.db.prepare(
      `INSERT INTO docs (id, data, ${columns.join(', ')}) ` +
        `VALUES (?, ?, ${columns.map(() => '?').join(', ')})`,
    );
    this.byId = this.db.prepare('SELECT data FROM docs WHERE id = ?').pluck();
    this.range = (c) =>
      this.db.prepare(`SELECT data FROM docs WHERE ${c} >= ? AND ${c} < ? ORDER BY ${c}`).pluck();
    this.countRange = (c) =>
      this.db.prepare(`SELECT count(*) FROM docs WHERE ${c} >= ? AND ${c} < ?`).pluck();
  }

  insertRow(doc: StoredDoc): void {
    this.insert.run(
      doc.id,
      JSON.stringify(doc),
      ...STORED_INDEXES.map((fields) => indexKey(doc, fields)),
    );
  }

  /** One IMMEDIATE transaction, as ours writes a bulkWrite. */
  insertAll(docs: readonly StoredDoc[]): void {
    this.db
      .transaction(() => {
        for (const doc of docs) this.insertRow(doc);
      })
      .immediate();
  }

  findById(id: string): StoredDoc | undefined {
    const data = this.byId.get(id) as string | undefined;
    return data === undefined ? undefined : (JSON.parse(data) as StoredDoc);
  }

  close(): void {
    this.db.close();
  }
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`floor: ${what}`);
}

/**
 * The floor of one run, step by step as runPerformanceTests does it: the connection is closed
 * and reopened where RxDB recreates its database "to ensure we do not run on caches".
 * Reads parse the JSON, since a storage has to hand back objects.
 */
function floorRun(directory: string, run: number, times: Map<string, number[]>): void {
  const { docsAmount, insertBatches, serialDocsAmount, parallelQueryAmount } = CONFIG;
  const path = join(directory, `floor-${run}.sqlite`);
  const record = (metric: string, started: number) => {
    const list = times.get(metric) ?? [];
    list.push(performance.now() - started);
    times.set(metric, list);
  };
  let file = new FloorFile(path);
  try {
    // Bulk inserts: one transaction per batch.
    const docIds: string[] = [];
    const perBatch = docsAmount / insertBatches;
    for (let b = 0; b < insertBatches; b++) {
      const docs = Array.from({ length: perBatch }, (_v, idx) =>
        storedDoc(averageSchemaData({ var1: String(idx % 2), var2: idx % parallelQueryAmount })),
      );
      for (const doc of docs) docIds.push(doc.id);
      const started = performance.now();
      file.insertAll(docs);
      record(`insert-documents-${perBatch}`, started);
    }

    // Find by id, all of them: prepared statement lookups.
    file.close();
    file = new FloorFile(path);
    let started = performance.now();
    let found = 0;
    for (const id of docIds) if (file.findById(id)) found++;
    record(`find-by-ids-${docsAmount}`, started);
    check(found === docsAmount, `found ${found} of ${docsAmount} by id`);

    // Serial inserts: one durable transaction per document.
    const serialDocs = Array.from({ length: serialDocsAmount }, () =>
      storedDoc(averageSchemaData({ var2: 1000 })),
    );
    started = performance.now();
    for (const doc of serialDocs) file.insertAll([doc]);
    record(`serial-inserts-${serialDocsAmount}`, started);

    // Serial find by id.
    file.close();
    file = new FloorFile(path);
    started = performance.now();
    found = 0;
    for (const doc of serialDocs) if (file.findById(doc.id)) found++;
    record(`serial-find-by-id-${serialDocsAmount}`, started);
    check(found === serialDocsAmount, `found ${found} of ${serialDocsAmount} serial docs`);

    // Find by query: every live document sorted by (var2, var1), an indexed range read.
    const sorted = indexColumn(['_deleted', 'var2', 'var1', 'id']);
    started = performance.now();
    const all = (file.range(sorted).all(...prefixRange([false])) as string[]).map(
      (data) => JSON.parse(data) as StoredDoc,
    );
    record('find-by-query', started);
    check(all.length === docsAmount + serialDocsAmount, `query read ${all.length} documents`);

    // Parallel queries (var2 = k) and counts: indexed range reads on the var2 index.
    file.close();
    file = new FloorFile(path);
    const byVar2 = indexColumn(['_deleted', 'var2', 'id']);
    const rangeStatement = file.range(byVar2);
    started = performance.now();
    let sum = 0;
    for (let k = 0; k < parallelQueryAmount; k++) {
      const rows = rangeStatement.all(...prefixRange([false, k])) as string[];
      sum += rows.map((data) => JSON.parse(data) as StoredDoc).length;
    }
    record(`find-by-query-parallel-${parallelQueryAmount}`, started);
    check(sum === docsAmount, `parallel queries read ${sum} documents`);

    const countStatement = file.countRange(byVar2);
    started = performance.now();
    let counted = 0;
    for (let k = 0; k < parallelQueryAmount; k++) {
      counted += countStatement.get(...prefixRange([false, k])) as number;
    }
    record('4x-count', started);
    check(counted === docsAmount, `counts add up to ${counted}`);
  } finally {
    file.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  }
}

function runFloor(directory: string): Timings {
  const started = performance.now();
  const times = new Map<string, number[]>();
  for (let run = 0; run < CONFIG.runs; run++) floorRun(directory, run, times);
  const seconds = (performance.now() - started) / 1000;
  console.log(`  raw better-sqlite3 floor: ${CONFIG.runs} runs in ${seconds.toFixed(1)} s`);
  const timings: Timings = new Map();
  for (const [metric, list] of times) {
    timings.set(metric, Math.round(averageOfTimeValues(list, STRIP_HIGHEST_PERCENT) * 100) / 100);
  }
  return timings;
}

// ---------------------------------------------------------------------------------------------
// Report

interface Row {
  readonly metric: string;
  readonly ours: number;
  readonly memory: number | null;
  readonly floor: number | null;
}

function ratio(a: number, b: number | null): number | null {
  return b === null || b <= 0 ? null : a / b;
}

function fmt(n: number | null, digits = 2): string {
  return n === null ? 'n/a' : n.toFixed(digits);
}

function verdict(row: Row): string {
  const misses: string[] = [];
  const mem = memoryTarget(row.metric);
  const vsMemory = ratio(row.ours, row.memory);
  const vsFloor = ratio(row.ours, row.floor);
  if (mem !== undefined && vsMemory !== null && vsMemory > mem) misses.push('memory');
  if (vsFloor !== null && vsFloor > FLOOR_TARGET) misses.push('floor');
  if (mem === undefined && row.floor === null) return '';
  return misses.length === 0 ? 'ok' : `MISS (${misses.join(', ')})`;
}

function printTable(rows: readonly Row[]): void {
  const header = [
    'metric',
    'ours ms',
    'memory ms',
    'floor ms',
    'ours/memory',
    'ours/floor',
    'target ours/memory',
    'target ours/floor',
    'verdict',
  ];
  const body = rows.map((row) => {
    const mem = memoryTarget(row.metric);
    return [
      row.metric,
      fmt(row.ours),
      fmt(row.memory),
      fmt(row.floor),
      fmt(ratio(row.ours, row.memory)),
      fmt(ratio(row.ours, row.floor)),
      mem === undefined ? 'n/a' : `<= ${mem.toFixed(1)}`,
      row.floor === null ? 'n/a' : `<= ${FLOOR_TARGET.toFixed(1)}`,
      verdict(row),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) =>
        i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const cells of body) console.log(line(cells));
}

/** File descriptors of this process still pointing into `directory` (Linux only). */
function openFilesIn(directory: string): string[] {
  try {
    return readdirSync('/proc/self/fd')
      .map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return '';
        }
      })
      .filter((target) => target.startsWith(directory));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const wallStarted = performance.now();
  const directory = mkdtempSync(join(tmpdir(), 'carrel-store-bench-'));
  console.log(
    `store bench${QUICK ? ' (BENCH_QUICK)' : ''}: runs ${CONFIG.runs}, ` +
      `${CONFIG.collectionsAmount} collections, ${CONFIG.docsAmount} docs in ` +
      `${CONFIG.insertBatches} batches, ${CONFIG.serialDocsAmount} serial, ` +
      `${CONFIG.parallelQueryAmount} parallel queries; files in ${directory}`,
  );
  let ours: Timings;
  let memory: Timings;
  let floor: Timings;
  try {
    // One untimed run first, so the first storage measured does not pay for RxDB's JIT warm-up.
    await runPerformanceTests(getRxStorageMemory(), 'warm-up', { ...CONFIG, runs: 1 });
    ours = await runRxdb(
      getRxStorageSqlite({ directory: join(directory, 'ours') }),
      'ours (sqlite)',
    );
    memory = await runRxdb(getRxStorageMemory(), 'memory');
    floor = runFloor(directory);
    const leaked = openFilesIn(directory);
    if (leaked.length > 0) {
      console.warn(
        `warning: ${leaked.length} files still open after the runs: ${leaked.join(', ')}`,
      );
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }

  for (const metric of floor.keys()) {
    if (!ours.has(metric))
      console.warn(`warning: RxDB reported no metric ${metric} (floor has it)`);
  }
  const rows: Row[] = [...ours].map(([metric, oursMs]) => ({
    metric,
    ours: oursMs,
    memory: memory.get(metric) ?? null,
    floor: floor.get(metric) ?? null,
  }));

  console.log('');
  printTable(rows);
  console.log(
    `\nEach figure is RxDB's averageOfTimeValues: the mean of the fastest ` +
      `${100 - STRIP_HIGHEST_PERCENT}% of runs (at least one). MISS marks a target not met; ` +
      `the bench never fails on time.`,
  );

  const out: Record<
    string,
    { ours_ms: number; memory_ms: number | null; floor_ms: number | null }
  > = {};
  for (const row of rows) {
    out[row.metric] = { ours_ms: row.ours, memory_ms: row.memory, floor_ms: row.floor };
  }
  mkdirSync(dirname(OUT_FILE), { recursive: true });
  writeFileSync(OUT_FILE, `${JSON.stringify(out, null, 2)}\n`);
  const wall = (performance.now() - wallStarted) / 1000;
  console.log(`wrote ${OUT_FILE}; wall time ${wall.toFixed(1)} s`);
}

await main();
