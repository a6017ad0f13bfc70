export { kocFile } from './koc.js';
export type { KocInput } from './koc.js';
export { checkinsCsv, checkinsCsvHeader } from './checkins-csv.js';
export type { CheckinsCsvInput, CheckinsCsvRow } from './checkins-csv.js';
