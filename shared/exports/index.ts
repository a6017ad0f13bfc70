// Files Carrel hands to other systems, written the same by a desk and by the consortium server:
// Koha's offline circulation file (.koc) and check-ins as CSV, with the local-time and CSV
// helpers they stand on. Pure text in, text out: no Node API, so it loads anywhere. Not
// re-exported from shared/index.ts, so the renderer does not bundle the CSV writer it never uses.
export * from './checkins-csv.js';
export * from './csv.js';
export * from './koc.js';
export * from './local-time.js';
export { CLOCK_CORRECTION_MS, onServerClock } from './clock-correction.js';
