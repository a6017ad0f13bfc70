/**
 * bench:sync — the desk's replication with the consortium server (issue #4, "Benchmark"):
 *
 *  1. first sync: a fresh desk core pulls a library of 200,000 documents, against a floor of
 *     raw better-sqlite3 storing the same documents in the same run (sync-first.ts);
 *  2. catch-up: a desk core that recorded 10,000 scans offline syncs them through the fault
 *     proxy at 300 ms round trip with 5 % of requests dropped; bytes per scan (sync-catchup.ts);
 *  3. push: 200 simulated desks pushing check-ins at once, on SQLite and on PostgreSQL with
 *     one instance and with two; push p50/p99 and check-ins per second (sync-push.ts).
 *
 * Servers and desk cores run in child processes (sync-server.ts, sync-desk.ts). BENCH_QUICK=1
 * runs smaller numbers (well under 60 s). Prints figures and ratios and writes
 * bench/out/sync.json; never fails on time. A part that cannot run here (no PostgreSQL)
 * prints `skipped: <why>` and leaves its figures null; a part that breaks (a desk that does
 * not converge) prints `failed: <why>`, leaves its figures null and makes the exit code 1.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type PostgresCluster } from '../test/support/postgres.js';
import { benchCatchup, type CatchupResult } from './sync-catchup.js';
import { benchFirstSync, type FirstSyncResult } from './sync-first.js';
import { benchPushConfig, type PushConfig, type PushResult } from './sync-push.js';

const quick = process.env['BENCH_QUICK'] === '1';
const FIRST_SYNC_DOCS = quick ? 10_000 : 200_000;
const CATCHUP_SCANS = quick ? 500 : 10_000;
const PUSH_LOAD = {
  desks: 200,
  seconds: quick ? 2 : 20,
  warmupSeconds: quick ? 1 : 3,
  scanIntervalMs: Number(process.env['BENCH_SCAN_INTERVAL_MS'] ?? 1_000),
};
const PUSH_CONFIGS: readonly PushConfig[] = [
  { store: 'sqlite', instances: 1 },
  { store: 'postgres', instances: 1 },
  { store: 'postgres', instances: 2 },
];

interface SyncBenchResult {
  first_sync: {
    docs: number;
    seconds: number | null;
    floor_seconds: number | null;
    layout_seconds: number | null;
    desk_cpu_seconds: number | null;
    server_cpu_seconds: number | null;
    slow_link_seconds: number | null;
  };
  catchup: { scans: number; seconds: number | null; bytes_per_scan: number | null };
  push: PushResult[];
}

const why = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Runs one part; a part that throws is reported as failed and the others still run. */
async function part<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  try {
    const result = await run();
    console.log(`  (${name}: ${((performance.now() - started) / 1000).toFixed(1)} s in all)`);
    return result;
  } catch (error) {
    console.log(`  failed: ${name}: ${why(error)}`);
    process.exitCode = 1;
    return undefined;
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'carrel-bench-sync-'));
  let cluster: Promise<PostgresCluster> | undefined;
  try {
    console.log(`bench:sync${quick ? ' (quick)' : ''}`);
    console.log(
      `first sync of ${FIRST_SYNC_DOCS} documents (desk core and server in their own processes)`,
    );
    const first: FirstSyncResult | undefined = await part('first sync', () =>
      benchFirstSync(join(dir, 'first'), FIRST_SYNC_DOCS),
    );

    console.log(
      `catch-up of ${CATCHUP_SCANS} offline scans through the fault proxy (300 ms round trip, 5 % dropped)`,
    );
    const catchup: CatchupResult | undefined = await part('catch-up', () =>
      benchCatchup(join(dir, 'catchup'), CATCHUP_SCANS),
    );

    console.log(
      `push: ${PUSH_LOAD.desks} simulated desks (HTTP clients with their own enrolled tokens and live streams, as the server sees desks; not desk cores), each scanning every ${PUSH_LOAD.scanIntervalMs} ms on average, ${PUSH_LOAD.seconds} s measured after ${PUSH_LOAD.warmupSeconds} s`,
    );
    const postgres = () => (cluster ??= startPostgres());
    const push: PushResult[] = [];
    for (const config of PUSH_CONFIGS) {
      const result = await part(`push on ${config.store} x${config.instances}`, () =>
        benchPushConfig(join(dir, 'push'), config, PUSH_LOAD, postgres),
      );
      push.push(
        result ?? {
          store: config.store,
          instances: config.instances,
          desks: PUSH_LOAD.desks,
          p50_ms: null,
          p99_ms: null,
          events_per_s: null,
        },
      );
    }

    const result: SyncBenchResult = {
      first_sync: {
        docs: FIRST_SYNC_DOCS,
        seconds: first?.seconds ?? null,
        floor_seconds: first?.floor_seconds ?? null,
        layout_seconds: first?.layout_seconds ?? null,
        desk_cpu_seconds: first?.desk_cpu_seconds ?? null,
        server_cpu_seconds: first?.server_cpu_seconds ?? null,
        slow_link_seconds: first?.slow_link_seconds ?? null,
      },
      catchup: {
        scans: CATCHUP_SCANS,
        seconds: catchup?.seconds ?? null,
        bytes_per_scan: catchup?.bytes_per_scan ?? null,
      },
      push,
    };
    printSummary(result);
    const out = join(import.meta.dirname, 'out');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'sync.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `wrote ${join(out, 'sync.json')}; wall time ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  } finally {
    if (cluster) await (await cluster.catch(() => undefined))?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printSummary(result: SyncBenchResult): void {
  const { first_sync: first, catchup, push } = result;
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  console.log('');
  console.log('summary                                   figure        target');
  if (first.seconds !== null && first.floor_seconds !== null) {
    const ratio = first.seconds / first.floor_seconds;
    console.log(
      `  first sync, desk/floor                 ${`${ratio.toFixed(1)}x`.padStart(8)}        <= 3x     ${verdict(ratio <= 3)}`,
    );
  }
  if (catchup.bytes_per_scan !== null) {
    console.log(
      `  catch-up bytes per scan                ${String(catchup.bytes_per_scan).padStart(8)}        <= 200    ${verdict(catchup.bytes_per_scan <= 200)}`,
    );
  }
  for (const row of push) {
    if (row.p99_ms === null) continue;
    const name = `push p99, ${row.store} x${row.instances}`.padEnd(38);
    console.log(
      `  ${name} ${`${row.p99_ms} ms`.padStart(8)}        <= 100 ms ${verdict(row.p99_ms <= 100)}`,
    );
  }
  const pg = push.filter((row) => row.store === 'postgres' && row.events_per_s !== null);
  const [one, two] = [pg.find((row) => row.instances === 1), pg.find((row) => row.instances === 2)];
  if (one?.events_per_s && two?.events_per_s && one.p99_ms && two.p99_ms) {
    console.log(
      `  PostgreSQL two instances / one: check-ins/s ${(two.events_per_s / one.events_per_s).toFixed(2)}x, p99 ${(two.p99_ms / one.p99_ms).toFixed(2)}x (no target: two cores hold the desks, the servers and the database)`,
    );
  }
}

await main();
