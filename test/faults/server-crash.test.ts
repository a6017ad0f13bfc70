// The short server-crash run for `npm test`: the server in a child process is SIGKILLed while
// 3 desks push, started again on the same data (SQLite files, then a PostgreSQL database),
// and the history check runs: every acknowledged scan kept once, every desk converged.
// `npm run test:faults` runs it with 10 desks and more kills. SEED=<n> replays a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../support/fault-proxy.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { runSyncUnderFaults } from './network-faults.js';

const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
let cluster: PostgresCluster | undefined;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

const run = (database?: string) =>
  runSyncUnderFaults({
    seed,
    desks: 3,
    scansPerDesk: 30,
    pauseMs: 30,
    faults: NO_FAULTS,
    serverRestarts: 2,
    crash: 'kill',
    quietTimeoutMs: 60_000,
    ...(database ? { database } : {}),
    log: (line) => console.info(line),
  });

describe('the server killed while desks push', () => {
  for (const store of ['sqlite', 'postgres'] as const) {
    it(
      `keeps every acknowledged write once and the desks converge, on ${store} (seed ${seed})`,
      { timeout: 300_000 },
      async () => {
        console.info(`server-crash seed ${seed} on ${store}`);
        const report = await run(
          store === 'postgres' ? await cluster!.createDatabase() : undefined,
        );
        console.info(JSON.stringify({ ...report, problems: report.problems.slice(0, 20) }));
        expect(report.serverRestarts).toBeGreaterThan(0);
        expect(report.problems).toEqual([]);
        expect(report.lost).toBe(0);
        expect(report.duplicated).toBe(0);
      },
    );
  }
});
