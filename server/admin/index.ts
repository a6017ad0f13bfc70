// The consortium's administration: libraries, desks, ILS and JSON imports, check-in exports and
// reports, as services over the replication store and as the /v1/admin routes that serve them
// (the `npm run admin` CLI, server/cli.ts, calls those routes).
export { adminRoutes } from './admin-routes.js';
export type { AdminRoutesOptions } from './admin-routes.js';
export { ENROLMENT_CODE_TTL_MS } from './desks.js';
export { importDocuments } from './document-import.js';
export { holdIdFor } from './ils-import.js';
export type { ImportReport, RejectedRow } from './ils-import.js';
export { ilsFormats, importKinds } from './ils-mappings.js';
export type { IlsFormat, ImportKind } from './ils-mappings.js';
export { cratesWaiting, reportNames } from './reports.js';
export type { ReportName, WaitingCrate } from './reports.js';
