// The server's store: the replication store interface, its SQLite implementation and the
// domain collections. Only server/store touches the database driver.
export * from './replication-store.js';
export { sameDocumentState } from './document-state.js';
export { openSqliteReplicationStore } from './sqlite-replication-store.js';
export * from './domain-collections.js';
