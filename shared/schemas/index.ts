// The collection schemas: one source for RxDB (main/store), the server's validation
// (validate.ts) and the TypeScript document types. Collection names are the keys of
// `collectionSchemas`.
export * from './checkins.js';
export * from './collections.js';
export * from './crate-scans.js';
export * from './crates.js';
export * from './fields.js';
export * from './holds.js';
export * from './items.js';
export * from './libraries.js';
export * from './note-revisions.js';
export * from './notes.js';
export * from './validate.js';
// Past versions, kept for migrations and their tests only: nothing writes these shapes.
export * from './checkins.v0.js';
export * from './notes.v0.js';
export * from './notes.v1.js';
