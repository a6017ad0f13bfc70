// The one CSV writer behind every CSV the desk exports (crate manifests, check-in logs) lives in
// shared/exports/csv.ts, so the consortium server's exports quote and guard cells the same way.
export { csvText, spreadsheetSafe } from '../../shared/exports/index.js';
