// The short fuzz runs for `npm test`; `npm run test:faults` runs many more cases. SEED=<n>
// replays a run.
import { describe, expect, it } from 'vitest';
import { fuzzDeskApi, fuzzParsers, fuzzServer } from './fuzz.js';

const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);

describe(`hostile input (seed ${seed})`, () => {
  it(
    'never makes the server fail, stop answering or keep an invalid document',
    {
      timeout: 120_000,
    },
    async () => {
      const report = await fuzzServer({ seed, runs: 300 });
      expect(report.problems).toEqual([]);
      expect(report.serverErrors).toBe(0);
      expect(report.acceptedInvalid).toBe(0);
      expect(report.cases).toBe(300);
    },
  );

  it(
    'never makes a desk API call throw or answer without a stable error code',
    {
      timeout: 120_000,
    },
    async () => {
      const report = await fuzzDeskApi({ seed, runs: 300 });
      expect(report.problems).toEqual([]);
      expect(report.cases).toBe(300);
    },
  );

  it(
    'never makes the scanner-input or CSV parsers throw uncaught',
    { timeout: 60_000 },
    async () => {
      const report = await fuzzParsers({ seed, runs: 300 });
      expect(report.problems).toEqual([]);
      expect(report.cases).toBe(450);
    },
  );
});
