// How the replication resolves a conflict: the server answered a push with its own, newer
// version of a document (`realMasterState`) than the one the desk based its change on. RxDB
// hands each collection's handler the desk's version (`newDocumentState`) and the server's,
// writes what `resolve` answers to the desk, and pushes that when it differs from the
// server's. The rules per collection:
// - holds: forward only, the earlier of two captures wins (shared/rules mergeHoldVersions);
// - crates: the further state wins, with its counts and discrepancies (mergeCrateVersions);
// - notes: the server's version stays; the desk's losing edit is kept as a conflict copy;
// - checkins, crateScans, noteRevisions: append-only, written once by one desk, so the
//   server's version can only be the desk's own (a retried push): it is taken, and a
//   difference is reported as a fault (it would mean two desks made the same ULID);
// - libraries, items: the server's version wins (the ILS and the server own them).
import type { RxConflictHandler, WithDeleted } from 'rxdb';
import {
  mergeCrateVersions,
  mergeHoldVersions,
  sameNoteText,
  type Crate,
  type DeskCollectionName,
  type DeskDocuments,
  type Hold,
  type Note,
} from '../../shared/index.js';
import { sameWireDocument, toWire } from './wire-documents.js';

export interface ConflictEffects {
  /**
   * Keeps the desk's losing version of a note as a new note linking back to it; resolves once
   * that is durable (the desk's version is overwritten only afterwards). Idempotent: the same
   * losing version makes the same copy once.
   */
  keepNoteConflictCopy(loser: Note): Promise<void>;
  /** Something that cannot happen did: logged, and the server's version taken. */
  unexpected(collection: DeskCollectionName, id: string, message: string): void;
}

export type DeskConflictHandlerSet = {
  readonly [Name in DeskCollectionName]: RxConflictHandler<DeskDocuments[Name]>;
};

/** The document without RxDB's fields, `_deleted` kept: what a rule or the wire sees. */
function plain<T>(doc: WithDeleted<T>): WithDeleted<T> {
  return toWire(doc) as unknown as WithDeleted<T>;
}

function handler<T>(
  resolve: (
    desk: WithDeleted<T>,
    server: WithDeleted<T>,
  ) => Promise<WithDeleted<T>> | WithDeleted<T>,
): RxConflictHandler<T> {
  return {
    isEqual: (a, b) => sameWireDocument(a, b),
    resolve: async ({ newDocumentState, realMasterState }) =>
      resolve(plain(newDocumentState), plain(realMasterState)),
  };
}

const serverWins = <T>() => handler<T>((_desk, server) => server);

/** A merge rule over live documents; a deleted version on either side leaves the server's. */
function merged<T extends object>(merge: (desk: T, server: T) => T) {
  return handler<T>((desk, server) =>
    desk._deleted || server._deleted ? server : { ...merge(desk, server), _deleted: false },
  );
}

function appendOnly<Name extends 'checkins' | 'crateScans' | 'noteRevisions'>(
  name: Name,
  effects: ConflictEffects,
) {
  return handler<DeskDocuments[Name]>((desk, server) => {
    if (!sameWireDocument(desk, server)) {
      effects.unexpected(
        name,
        desk.id,
        'the server holds another version of an append-only row; the server version was kept',
      );
    }
    return server;
  });
}

export function deskConflictHandlers(effects: ConflictEffects): DeskConflictHandlerSet {
  return {
    libraries: serverWins(),
    items: serverWins(),
    holds: merged<Hold>(mergeHoldVersions),
    crates: merged<Crate>(mergeCrateVersions),
    checkins: appendOnly('checkins', effects),
    crateScans: appendOnly('crateScans', effects),
    noteRevisions: appendOnly('noteRevisions', effects),
    notes: handler<Note>(async (desk, server) => {
      // A desk that deleted a note loses to an edit elsewhere: there is nothing to keep.
      if (!desk._deleted && (server._deleted || !sameNoteText(desk, server))) {
        await effects.keepNoteConflictCopy(desk);
      }
      return server;
    }),
  };
}
