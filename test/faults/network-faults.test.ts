// The short network-fault run for `npm test`: 4 desks of 2 libraries, a few dozen scans each,
// through the fault proxy with latency, drops, resets mid-request, duplicated requests,
// answers lost after the server committed, cut event streams and one server restart, with
// holds contested by desks of two libraries. The full run (20 desks, hundreds of scans, every
// fault) is `npm run test:faults`. SEED=<n> replays a run.
import { describe, expect, it } from 'vitest';
import { runSyncUnderFaults } from './network-faults.js';

const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);

describe('desks syncing through a faulty network', () => {
  it(
    `lose nothing, store nothing twice and converge (seed ${seed})`,
    { timeout: 300_000 },
    async () => {
      console.info(`network-fault seed ${seed}`);
      const report = await runSyncUnderFaults({
        seed,
        desks: 4,
        scansPerDesk: 30,
        pauseMs: 20,
        faults: {
          latency: 0.1,
          drop: 0.05,
          reset: 0.05,
          duplicate: 0.05,
          lose: 0.05,
          latencyMs: [10, 150],
          cutStreamsWithinMs: 3_000,
          // Each kind at least twice, whatever the draws: a short run must exercise them all.
          first: [
            'lose',
            'duplicate',
            'drop',
            'reset',
            'latency',
            'lose',
            'duplicate',
            'drop',
            'reset',
          ],
        },
        serverRestarts: 1,
        crossLibrary: true,
        crash: 'stop',
        quietTimeoutMs: 90_000,
        log: (line) => console.info(line),
      });
      console.info(JSON.stringify({ ...report, problems: report.problems.slice(0, 20) }));
      expect(report.problems).toEqual([]);
      expect(report.acknowledged).toBeGreaterThan(100);
      expect(report.lost).toBe(0);
      expect(report.duplicated).toBe(0);
      // The run exercised what it claims to.
      for (const kind of ['drop', 'reset', 'duplicate', 'lose', 'latency'] as const) {
        expect(report.faultCounts[kind], kind).toBeGreaterThan(0);
      }
      expect(report.serverRestarts).toBe(1);
      expect(report.contestedHolds).toBeGreaterThan(0);
      expect(report.losersTold).toBeGreaterThan(0);
    },
  );
});
