// The desk's exports of its check-ins. The writers are shared with the consortium server's
// exports (shared/exports/), so a .koc file from a desk and one from the server read the same.
export {
  checkinsCsv,
  checkinsCsvHeader,
  checkinsCsvRow,
  kocFile,
  onServerClock,
} from '../../shared/exports/index.js';
export type { CheckinsCsvInput, CheckinsCsvRow, KocInput } from '../../shared/exports/index.js';
