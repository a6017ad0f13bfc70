// Who may write what: every pushed row is checked against the pushing desk's library and
// role (from its token, never from the body) before anything is stored. A row that breaks a
// rule refuses the whole push with `forbidden`: desks only push what they recorded, so a
// refused row is a bug or an attack, never a conflict to merge.
import {
  isHoldEnded,
  mergeCrateStates,
  mergeHoldStates,
  type DeskCollectionName,
} from '../../shared/index.js';
import type { EnrolledDesk } from '../store/desk-registry.js';

type Doc = Record<string, unknown>;

/** What the rules may ask of the server's current state. */
export interface ServerState {
  /** The current state of a document, for rules that depend on another collection. */
  get(collection: DeskCollectionName, id: string): Promise<Doc | undefined>;
  /** Libraries that see a document now (lent scope included), `['*']` for every library. */
  seenBy(collection: DeskCollectionName, doc: Doc): Promise<readonly string[]>;
}

export interface Refusal {
  /**
   * `forbidden`: the push is refused (403). `not_seen`: the row changes a document the
   * desk's library no longer sees (the hold that lent it another library's item ended
   * while the desk was offline). It is not written; the push answers it with a deletion, as
   * the store answers a conflict on a document that left the library, so the desk drops its
   * copy instead of retrying a refused push forever.
   */
  readonly code: 'forbidden' | 'not_seen';
  readonly message: string;
}

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

export async function checkWrite(
  collection: DeskCollectionName,
  desk: EnrolledDesk,
  next: Doc,
  master: Doc | undefined,
  state: ServerState,
): Promise<Refusal | null> {
  const library = desk.library;
  if (next['deskId'] !== desk.deskId) return refuse('A row must name the desk that wrote it.');
  switch (collection) {
    case 'libraries':
      return refuse('Libraries are set by the consortium, not by desks.');
    case 'items': {
      if (!master) return refuse('Items come from the ILS; a desk cannot create one.');
      // The libraries that see the item: owner, location, and those of the open holds and
      // crates it is on (the pickup library shelves a copy it does not own).
      const fields = onlyDeskFields(collection, master, next);
      if (fields) return fields;
      const seen = await state.seenBy(collection, master);
      if (!seen.includes(library) && !seen.includes('*') && next['location'] !== library) {
        return {
          code: 'not_seen',
          message: 'This item is neither owned by, at, nor on a hold or crate of this library.',
        };
      }
      return null;
    }
    case 'holds': {
      if (!master) return refuse('Holds come from the ILS; a desk cannot create one.');
      if (master['pickupLibrary'] !== library && master['pullLibrary'] !== library) {
        return refuse('This hold is not picked up or pulled at this library.');
      }
      const from = master['status'] as Parameters<typeof mergeHoldStates>[0];
      const to = next['status'] as Parameters<typeof mergeHoldStates>[0];
      // Forward only, any number of steps at once: an offline check-in takes a hold from
      // pending straight to in_transit or on_shelf. The one step back is a release: the desk
      // whose capture the server holds undid that scan, and the hold waits for a copy again.
      if (isRelease(desk, master, next)) return onlyDeskFields(collection, master, next);
      if (from !== to && (isHoldEnded(from) || mergeHoldStates(from, to) !== to)) {
        return refuse(`A hold cannot move from ${from} to ${to}.`);
      }
      return onlyDeskFields(collection, master, next);
    }
    case 'checkins':
      if (next['library'] !== library)
        return refuse('A desk records check-ins of its own library only.');
      return master ? voidOnly(master, next) : null;
    case 'crateScans': {
      const crate = await state.get('crates', String(next['crateId']));
      if (!crate) return refuse('That crate is not known to the server yet: push the crate first.');
      const side = next['action'] === 'receive' ? crate['destination'] : crate['origin'];
      if (side !== library)
        return refuse('This library may not scan items into or out of that crate.');
      return appendOnly(master, next);
    }
    case 'crates': {
      if (!master) {
        if (next['origin'] !== library)
          return refuse('A desk opens crates from its own library only.');
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
    }
    case 'notes': {
      const scoped = (doc: Doc) =>
        doc['scope'] === 'consortium' ? desk.role === 'editor' : doc['libraryCode'] === library;
      if (!scoped(next) || (master && !scoped(master))) {
        return refuse('This desk may not edit that note (consortium notes need an editor).');
      }
      return null;
    }
    case 'noteRevisions': {
      const note = await state.get('notes', String(next['noteId']));
      if (!note) return refuse('Push the note before its revisions.');
      const allowed =
        note['scope'] === 'consortium' ? desk.role === 'editor' : note['libraryCode'] === library;
      return allowed ? appendOnly(master, next) : refuse('This desk may not edit that note.');
    }
    default:
      return refuse('Unknown collection.');
  }
}
