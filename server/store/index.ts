// The server's store: the replication store interface, its SQLite and PostgreSQL
// implementations, the desk registry, and the domain collections. Only server/store touches
// the database drivers.
export * from './replication-store.js';
export { documentFields, sameDocumentState, scopeIncludes } from './document-state.js';
export { departedView } from './replication-core.js';
export { openSqliteReplicationStore } from './sqlite-replication-store.js';
export { openPgReplicationStore, type PgReplicationStore } from './pg-replication-store.js';
export {
  openDeskRegistry,
  type DeskRegistry,
  type DeskRole,
  type EnrolledDesk,
} from './desk-registry.js';
export { openPgDeskRegistry } from './pg-desk-registry.js';
export { openBackend, isPostgresUrl, type Backend, type BackendOptions } from './open-backend.js';
export * from './domain-collections.js';
