// Who may write what: every pushed row is checked against the pushing desk's library and
// role (from its token, never from the body) before anything is stored. A row that breaks a
// rule refuses the whole push with `forbidden`: desks only push what they recorded, so a
// refused row is a bug or an attack, never a conflict to merge.
//
// `checkWrite` is the check every collection shares (a row names the desk that wrote it),
// then the collection's own rule: its registration's `write` (server/store/replication-store.ts,
// WriteRule). The domain collections' rules are below, one per collection, attached to their
// registrations in server/store/domain-collections.ts.
import {
  isHoldEnded,
  mergeCrateStates,
  mergeHoldStates,
  type DeskCollectionName,
} from '../../shared/index.js';
import type { EnrolledDesk } from '../store/desk-registry.js';
import { scopeIncludes } from '../store/document-state.js';
import type {
  CollectionRegistration,
  JsonDocument,
  Refusal,
  ServerState,
  StoredDoc,
  WriteRule,
} from '../store/replication-store.js';

export type { Refusal, ServerState, WriteRule } from '../store/replication-store.js';

type Doc = Record<string, unknown>;

const refuse = (message: string): Refusal => ({ code: 'forbidden', message });

/** Fields a desk may change on a server-owned document; everything else must stay equal. */
const DESK_FIELDS: Partial<Record<DeskCollectionName, readonly string[]>> = {
  items: ['status', 'location', 'updatedAt', 'deskId'],
  holds: [
    'status',
    'capturedAt',
    'capturedItemBarcode',
    'shelvedAt',
    'expiresOn',
    'updatedAt',
    'deskId',
  ],
};

function changedFields(before: Doc, after: Doc): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

function onlyDeskFields(collection: DeskCollectionName, before: Doc, after: Doc): Refusal | null {
  const allowed = DESK_FIELDS[collection] ?? [];
  const other = changedFields(before, after).filter((field) => !allowed.includes(field));
  return other.length === 0
    ? null
    : refuse(`A desk may not change ${other.join(', ')} of ${collection}.`);
}

/** Insert-only collections: a row is new, or identical to what is stored (a retry). */
function appendOnly(master: Doc | undefined, next: Doc): Refusal | null {
  if (master && changedFields(master, next).length > 0) {
    return refuse('Check-ins and scans are never changed once recorded.');
  }
  return null;
}

const CAPTURE_FIELDS = ['capturedAt', 'capturedItemBarcode', 'shelvedAt', 'expiresOn'];

/** A hold captured by this very desk going back to pending, with its capture removed. */
function isRelease(desk: EnrolledDesk, master: Doc, next: Doc): boolean {
  const captured = ['captured', 'in_transit', 'on_shelf'].includes(String(master['status']));
  return (
    captured &&
    next['status'] === 'pending' &&
    master['deskId'] === desk.deskId &&
    CAPTURE_FIELDS.every((field) => next[field] === undefined)
  );
}

/**
 * A recorded check-in changes once at most: the desk that scanned it voids it (staff undid
 * their last scan), setting `voidedAt` and `updatedAt`. A voided row stays voided.
 */
function voidOnly(master: Doc, next: Doc): Refusal | null {
  const changed = changedFields(master, next);
  if (changed.length === 0) return null;
  const voiding =
    master['voidedAt'] === undefined &&
    typeof next['voidedAt'] === 'string' &&
    next['deskId'] === master['deskId'] &&
    changed.every((field) => field === 'voidedAt' || field === 'updatedAt');
  return voiding ? null : refuse('Check-ins are never changed once recorded, except voided once.');
}

/**
 * Whether `desk` may push `next` to the registered collection `registration`: the row must
 * name the desk that wrote it, then the registration's write rule decides; a collection
 * without one is read-only for desks.
 */
export async function checkWrite(
  registration: CollectionRegistration<JsonDocument>,
  desk: EnrolledDesk,
  next: StoredDoc,
  master: StoredDoc | undefined,
  state: ServerState,
): Promise<Refusal | null> {
  if (next['deskId'] !== desk.deskId) return refuse('A row must name the desk that wrote it.');
  if (registration.write === undefined) {
    return refuse(`Desks may not write ${registration.name}: it is read-only for desks.`);
  }
  return registration.write(desk, next, master, state);
}

/** Libraries: the consortium's, never a desk's. */
export const librariesWriteRule: WriteRule = () =>
  refuse('Libraries are set by the consortium, not by desks.');

/**
 * Items: only the status, location and stamp of an item the ILS created, by a library that
 * sees it (or where it now stands).
 */
export const itemsWriteRule: WriteRule = async (desk, next, master, state) => {
  const library = desk.library;
  if (!master) return refuse('Items come from the ILS; a desk cannot create one.');
  // The libraries that see the item: owner, location, and those of the open holds and
  // crates it is on (the pickup library shelves a copy it does not own).
  const fields = onlyDeskFields('items', master, next);
  if (fields) return fields;
  const seen = await state.seenBy('items', master);
  if (!scopeIncludes(seen, library) && next['location'] !== library) {
    return {
      code: 'not_seen',
      message: 'This item is neither owned by, at, nor on a hold or crate of this library.',
    };
  }
  return null;
};

/** Holds: forward transitions (or a release of the desk's own capture) at either end. */
export const holdsWriteRule: WriteRule = (desk, next, master) => {
  const library = desk.library;
  if (!master) return refuse('Holds come from the ILS; a desk cannot create one.');
  if (master['pickupLibrary'] !== library && master['pullLibrary'] !== library) {
    return refuse('This hold is not picked up or pulled at this library.');
  }
  const from = master['status'] as Parameters<typeof mergeHoldStates>[0];
  const to = next['status'] as Parameters<typeof mergeHoldStates>[0];
  // Forward only, any number of steps at once: an offline check-in takes a hold from
  // pending straight to in_transit or on_shelf. The one step back is a release: the desk
  // whose capture the server holds undid that scan, and the hold waits for a copy again.
  if (isRelease(desk, master, next)) return onlyDeskFields('holds', master, next);
  if (from !== to && (isHoldEnded(from) || mergeHoldStates(from, to) !== to)) {
    return refuse(`A hold cannot move from ${from} to ${to}.`);
  }
  return onlyDeskFields('holds', master, next);
};

/** Check-ins: the desk's own library's, never changed but voided once. */
export const checkinsWriteRule: WriteRule = (desk, next, master) => {
  if (next['library'] !== desk.library)
    return refuse('A desk records check-ins of its own library only.');
  return master ? voidOnly(master, next) : null;
};

/** Crate scans: packed at the crate's origin, received at its destination; append-only. */
export const crateScansWriteRule: WriteRule = async (desk, next, master, state) => {
  const crate = await state.get('crates', String(next['crateId']));
  if (!crate) return refuse('That crate is not known to the server yet: push the crate first.');
  const side = next['action'] === 'receive' ? crate['destination'] : crate['origin'];
  if (side !== desk.library)
    return refuse('This library may not scan items into or out of that crate.');
  return appendOnly(master, next);
};

/** Crates: opened at their origin, moved forward by the library holding them. */
export const cratesWriteRule: WriteRule = (desk, next, master) => {
  const library = desk.library;
  if (!master) {
    if (next['origin'] !== library) return refuse('A desk opens crates from its own library only.');
    return next['status'] === 'open' || next['status'] === 'sealed'
      ? null
      : refuse('A new crate starts open.');
  }
  const from = master['status'] as Parameters<typeof mergeCrateStates>[0];
  const to = next['status'] as Parameters<typeof mergeCrateStates>[0];
  // Forward only, possibly several steps (received and closed in one offline push).
  if (from !== to && mergeCrateStates(from, to) !== to)
    return refuse(`A crate cannot move from ${from} to ${to}.`);
  const origin = new Set(['open', 'sealed']);
  const actor = origin.has(to) ? master['origin'] : master['destination'];
  if (actor !== library) return refuse('Only the library holding the crate may change it.');
  if (next['origin'] !== master['origin'] || next['destination'] !== master['destination']) {
    return refuse("A crate's origin and destination never change.");
  }
  return null;
};

/** Whether `desk` may edit `note`: its library's own, or a consortium note as an editor. */
function mayEditNote(desk: EnrolledDesk, note: Doc): boolean {
  return note['scope'] === 'consortium'
    ? desk.role === 'editor'
    : note['libraryCode'] === desk.library;
}

/** Notes: the library's own; consortium notes need an editor. */
export const notesWriteRule: WriteRule = (desk, next, master) => {
  if (!mayEditNote(desk, next) || (master && !mayEditNote(desk, master))) {
    return refuse('This desk may not edit that note (consortium notes need an editor).');
  }
  return null;
};

/** Note revisions: by whoever may edit their note; append-only. */
export const noteRevisionsWriteRule: WriteRule = async (desk, next, master, state) => {
  const note = await state.get('notes', String(next['noteId']));
  if (!note) return refuse('Push the note before its revisions.');
  return mayEditNote(desk, note)
    ? appendOnly(master, next)
    : refuse('This desk may not edit that note.');
};
