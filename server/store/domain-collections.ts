// Carrel's replicated collections as registrations of the generic replication store, each
// with its schema (shared/schemas), its scope rule (which libraries see a document: DESIGN.md,
// Data) and its write rule (who may push what: the rules are written in
// server/sync/write-rules.ts, which the HTTP layer runs before a row reaches the store).
import { collectionSchemas, isHoldEnded } from '../../shared/index.js';
import type {
  Checkin,
  Crate,
  CrateScan,
  Hold,
  Item,
  Library,
  Note,
  NoteRevision,
} from '../../shared/index.js';
import {
  checkinsWriteRule,
  crateScansWriteRule,
  cratesWriteRule,
  holdsWriteRule,
  itemsWriteRule,
  librariesWriteRule,
  noteRevisionsWriteRule,
  notesWriteRule,
} from '../sync/write-rules.js';
import { defineCollection, EVERY_LIBRARY } from './replication-store.js';
import type { CollectionRegistration, JsonDocument } from './replication-store.js';

/** Every desk gets every library: routing needs all prefixes and floating rules. */
export const librariesCollection = defineCollection<Library>({
  name: 'libraries',
  primaryKey: 'code',
  schema: collectionSchemas.libraries,
  replicatedToDesks: true,
  write: librariesWriteRule,
  scope: () => [EVERY_LIBRARY],
});

/**
 * An item is seen by its owner and by the library it stands at now (a floating item's
 * location), and, lent by them, by the libraries of the holds and crates it is on (see the
 * `grants` of holds and crate scans). A moved item reaches its old location once more as a
 * deletion, and so does a library whose hold or crate no longer names it.
 */
export const itemsCollection = defineCollection<Item>({
  name: 'items',
  primaryKey: 'barcode',
  schema: collectionSchemas.items,
  replicatedToDesks: true,
  write: itemsWriteRule,
  scope: (item) => [item.owner, item.location],
});

/**
 * A hold is seen by its pickup library (hold shelf) and its pull library (pull list). A
 * library a hold leaves gets it as a deletion without the patron reference and shelf name,
 * which it no longer needs for a slip.
 */
export const holdsCollection = defineCollection<Hold>({
  name: 'holds',
  primaryKey: 'id',
  schema: collectionSchemas.holds,
  replicatedToDesks: true,
  write: holdsWriteRule,
  scope: (hold) => [hold.pickupLibrary, hold.pullLibrary],
  departed: ({ patronRef: _patronRef, shelfName: _shelfName, ...hold }) => hold,
  // Both ends of a hold need its copy's title and call number (pull list, slips, the hold
  // shelf), while the hold is open: an ended hold lends nothing.
  grants: {
    collection: 'items',
    keys: (hold) =>
      isHoldEnded(hold.status)
        ? []
        : [hold.itemBarcode, hold.capturedItemBarcode].filter(
            (barcode): barcode is string => barcode !== undefined,
          ),
  },
});

/** Check-ins stay with the library that scanned them. */
export const checkinsCollection = defineCollection<Checkin>({
  name: 'checkins',
  primaryKey: 'id',
  schema: collectionSchemas.checkins,
  replicatedToDesks: true,
  write: checkinsWriteRule,
  scope: (checkin) => [checkin.library],
});

/** A crate is seen by both ends of its trip. */
export const cratesCollection = defineCollection<Crate>({
  name: 'crates',
  primaryKey: 'id',
  schema: collectionSchemas.crates,
  replicatedToDesks: true,
  write: cratesWriteRule,
  scope: (crate) => [crate.origin, crate.destination],
});

/**
 * A crate scan is seen wherever its crate is: the destination needs the origin's scans to
 * find missing and extra items. A scan that reaches the server before its crate (desks push
 * each collection on its own) is seen by nobody until the crate arrives, then by both ends.
 * Both ends also see the scanned item (titles on the manifest and the receipt list) until
 * the crate is closed; a scan taking the item out again does not end that early, since scans
 * are never changed once recorded.
 */
export const crateScansCollection = defineCollection<CrateScan>({
  name: 'crateScans',
  primaryKey: 'id',
  schema: collectionSchemas.crateScans,
  replicatedToDesks: true,
  write: crateScansWriteRule,
  scopeFrom: { collection: 'crates', key: 'crateId' },
  grants: {
    collection: 'items',
    keys: (scan) => [scan.barcode],
    whileParent: (crate) => crate['status'] !== 'closed',
  },
});

/**
 * Consortium notes are seen by every library, library notes by their library. (A library
 * note without a library code is seen by nobody; the schema allows it, the notes service
 * never writes one.)
 */
export const notesCollection = defineCollection<Note>({
  name: 'notes',
  primaryKey: 'id',
  schema: collectionSchemas.notes,
  replicatedToDesks: true,
  write: notesWriteRule,
  scope: (note) =>
    note.scope === 'consortium'
      ? [EVERY_LIBRARY]
      : note.libraryCode === undefined
        ? []
        : [note.libraryCode],
});

/** A note's history is seen wherever the note is, and follows it when its scope changes. */
export const noteRevisionsCollection = defineCollection<NoteRevision>({
  name: 'noteRevisions',
  primaryKey: 'id',
  schema: collectionSchemas.noteRevisions,
  replicatedToDesks: true,
  write: noteRevisionsWriteRule,
  scopeFrom: { collection: 'notes', key: 'noteId' },
});

/** Every replicated collection, in the order of `deskCollectionNames`. */
export const domainCollections: readonly CollectionRegistration<JsonDocument>[] = [
  librariesCollection,
  itemsCollection,
  holdsCollection,
  checkinsCollection,
  cratesCollection,
  crateScansCollection,
  notesCollection,
  noteRevisionsCollection,
];
