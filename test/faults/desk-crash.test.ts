// The short desk-crash run for `npm test` (6 SIGKILLs); `npm run test:faults` kills 50 times.
// SEED=<n> replays a run.
import { describe, expect, it } from 'vitest';
import { runDeskCrashes } from './desk-crash.js';

const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);

describe('a desk killed while it checks in and packs crates', () => {
  it(
    `keeps every acknowledged answer exactly once (seed ${seed})`,
    { timeout: 180_000 },
    async () => {
      console.info(`desk-crash seed ${seed}`);
      const report = await runDeskCrashes({ seed, kills: 6 });
      console.info(JSON.stringify(report));
      expect(report.problems).toEqual([]);
      expect(report.lost).toBe(0);
      expect(report.duplicated).toBe(0);
      // Most kills must land while the desk was answering, or the run proves little.
      expect(report.killsWhileWriting).toBeGreaterThan(3);
      expect(report.acknowledged).toBeGreaterThan(20);
    },
  );
});
