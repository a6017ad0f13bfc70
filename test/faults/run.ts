// `npm run test:faults`: the full-size trust suites (issue #6), one after another, with one
// seed for all (printed first; SEED=<n> replays a run). FAULTS_ONLY=desk,server,network,
// fuzz,permissions runs some of them. Writes test/out/faults.json and exits non-zero if any
// suite found a problem. The short versions of the same suites run in `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_FAULTS } from '../support/fault-proxy.js';
import { startPostgres } from '../support/postgres.js';
import { runDeskCrashes } from './desk-crash.js';
import { fuzzDeskApi, fuzzParsers, fuzzServer } from './fuzz.js';
import { runSyncUnderFaults, type SyncRunReport } from './network-faults.js';
import { checkPermissions } from './permissions.js';

const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
const only = new Set(
  (process.env['FAULTS_ONLY'] ?? 'desk,server,network,fuzz,permissions').split(','),
);
const log = (line: string) => console.log(`  ${line}`);

const totals = {
  desk_kills: 0,
  acknowledged: 0,
  lost: 0,
  duplicated: 0,
  server_kills: 0,
  fault_runs: 0,
  fuzz_cases: 0,
  fuzz_5xx: 0,
  accepted_invalid: 0,
  permission_cases: 0,
  permission_mismatches: 0,
  seed,
};
const problems: string[] = [];

function addSyncRun(name: string, report: SyncRunReport): void {
  totals.acknowledged += report.acknowledged;
  totals.lost += report.lost;
  totals.duplicated += report.duplicated;
  problems.push(...report.problems.map((problem) => `${name}: ${problem}`));
  console.log(
    `${name}: ${report.desks} desks, ${report.acknowledged} acknowledged, ${report.lost} lost, ` +
      `${report.duplicated} duplicated, ${report.contestedHolds} contested holds, ` +
      `${report.reroutes} re-routed, ${report.losersTold} losing desks told, ` +
      `${report.serverRestarts} server restarts, faults ` +
      `${JSON.stringify(report.faultCounts)}, ${report.problems.length} problems`,
  );
}

/** Runs one suite; a suite that throws is a problem, and the others still run. */
async function suite(name: string, body: () => Promise<void>): Promise<void> {
  if (![...only].some((part) => name.startsWith(part))) return;
  console.log(`\n== ${name}`);
  const started = Date.now();
  try {
    await body();
  } catch (error) {
    problems.push(
      `${name} did not finish: ${error instanceof Error ? error.message : String(error)}`,
    );
    console.log(`${name} did not finish: ${String(error)}`);
  }
  console.log(`(${Math.round((Date.now() - started) / 1000)} s)`);
}

console.log(`trust suites, seed ${seed}`);

await suite('desk crash', async () => {
  const report = await runDeskCrashes({ seed, kills: 50, log: () => undefined });
  totals.desk_kills += report.deskKills;
  totals.acknowledged += report.acknowledged;
  totals.lost += report.lost;
  totals.duplicated += report.duplicated;
  problems.push(...report.problems);
  console.log(
    `desk crash: ${report.deskKills} SIGKILLs (${report.killsWhileWriting} mid-write), ` +
      `${report.acknowledged} acknowledged, ${report.lost} lost, ${report.duplicated} duplicated`,
  );
});

await suite('server crash', async () => {
  const cluster = await startPostgres();
  try {
    for (const store of ['sqlite', 'postgres'] as const) {
      const report = await runSyncUnderFaults({
        seed,
        desks: 10,
        scansPerDesk: 100,
        pauseMs: 30,
        faults: NO_FAULTS,
        serverRestarts: 4,
        crash: 'kill',
        ...(store === 'postgres' ? { database: await cluster.createDatabase() } : {}),
        log,
      });
      totals.server_kills += report.serverRestarts;
      addSyncRun(`server crash on ${store}`, report);
    }
  } finally {
    await cluster.stop();
  }
});

await suite('network faults', async () => {
  const report = await runSyncUnderFaults({
    seed,
    desks: 20,
    scansPerDesk: 200,
    pauseMs: 40,
    faults: {
      latency: 0.1,
      drop: 0.04,
      reset: 0.04,
      duplicate: 0.04,
      lose: 0.04,
      latencyMs: [20, 300],
      cutStreamsWithinMs: 5_000,
    },
    serverRestarts: 2,
    crash: 'stop',
    crossLibrary: true,
    quietTimeoutMs: 180_000,
    log,
  });
  totals.fault_runs += 1;
  addSyncRun('network faults', report);
});

await suite('fuzz', async () => {
  for (const [name, run] of [
    ['server routes', fuzzServer],
    ['desk API', fuzzDeskApi],
    ['parsers', fuzzParsers],
  ] as const) {
    const report = await run({ seed, runs: 2_000 });
    totals.fuzz_cases += report.cases;
    totals.fuzz_5xx += name === 'desk API' ? 0 : report.serverErrors;
    totals.accepted_invalid += report.acceptedInvalid;
    problems.push(...report.problems.map((problem) => `fuzz ${name}: ${problem}`));
    console.log(
      `fuzz ${name}: ${report.cases} cases, ${report.problems.length} problems` +
        (report.statuses ? `, answers by status ${JSON.stringify(report.statuses)}` : ''),
    );
  }
});

await suite('permissions', async () => {
  const report = await checkPermissions();
  totals.permission_cases += report.cases;
  totals.permission_mismatches += report.mismatches.length;
  problems.push(...report.mismatches);
  console.log(`permissions: ${report.cases} cells, ${report.mismatches.length} mismatches`);
});

const outDir = join(import.meta.dirname, '..', 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'faults.json'), `${JSON.stringify(totals, null, 2)}\n`);
console.log(`\n${JSON.stringify(totals)}`);
if (problems.length > 0) {
  console.log(`\n${problems.length} problems (seed ${seed}); the first 40:`);
  for (const problem of problems.slice(0, 40)) console.log(`  ${problem}`);
  process.exitCode = 1;
} else {
  console.log(`\nno problems (seed ${seed})`);
}
