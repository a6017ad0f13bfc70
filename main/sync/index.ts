// The sync capability's public surface: the desk's replication with the consortium server,
// its conflict handlers, and the `sync` handlers of the desk API.
export { createDeskSync, syncHandlers } from './desk-sync.js';
export type { DeskSync, DeskSyncParts } from './desk-sync.js';
export { startDeskSync } from './replication.js';
export type { DeskSyncOptions, DeskSyncSession } from './replication.js';
export { deskConflictHandlers } from './conflicts.js';
export type { ConflictEffects, DeskConflictHandlerSet } from './conflicts.js';
export { keepNoteConflictCopy } from './note-conflict-copy.js';
export { defaultBackoff } from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
