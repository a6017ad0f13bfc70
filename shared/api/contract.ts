// The desk API, written once: the argument schema of every method (validated at both bridges
// before a handler runs), the answer types, and the events main pushes to the UI. The IPC
// and WebSocket bridges and the preload are generated from `deskMethodNames`; handlers in
// main end in `satisfies DeskHandlers[capability]`, so the compiler checks them against this.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { CheckinOutcome, CheckinRoute } from '../schemas/checkins.js';
import type { DeskCollectionName } from '../schemas/collections.js';
import type { CrateStatus } from '../schemas/crates.js';
import type { HoldStatus } from '../schemas/holds.js';
import type { NoteScope } from '../schemas/notes.js';
import type { DeskResult } from './result.js';

const strict = { additionalProperties: false } as const;
const noArgs = () => Type.Object({}, strict);
const id = Type.String({ minLength: 1, maxLength: 64 });
const libraryCode = Type.String({ minLength: 1, maxLength: 20, pattern: '^[A-Za-z0-9_.-]+$' });
const day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
/** A scan as the scanner typed it; cleaning and checking it is the desk's job (barcode.ts). */
const rawScan = Type.String({ maxLength: 200 });

// ---- Training notes: limits shared by the arguments below and the notes service ----------

/** The file types a note can carry, and the largest file (decoded) the desk takes. */
export const noteAttachmentTypes = ['image/png', 'image/jpeg', 'application/pdf'] as const;
export type NoteAttachmentType = (typeof noteAttachmentTypes)[number];
export const noteAttachmentMaxBytes = 5 * 1024 * 1024;
/**
 * The base64 text of a file up to twice the limit: a file a little too big still reaches
 * the notes service and is answered attachment_too_large; nothing far bigger is parsed.
 */
const noteAttachmentMaxBase64 = Math.ceil((2 * noteAttachmentMaxBytes) / 3) * 4;
/** One tag as staff typed it (the desk trims and lower-cases it); commas separate tags. */
const noteTag = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^,]+$' });
const noteScope = Type.Union([Type.Literal('consortium'), Type.Literal('library')]);

export const deskContract = {
  desk: {
    /** Which library this desk is, who is signed in, the app version. Offline: yes. */
    status: noArgs(),
    /** Every member library this desk knows (for destination pickers), by code. Offline: yes. */
    libraries: noArgs(),
    /**
     * Loads a demo consortium into this desk (sample libraries, items, holds and training
     * notes; the same every time, so loading it again adds nothing) and makes this desk a
     * desk of `libraryCode` (the first demo library if not given). For trying Carrel out and
     * for training: it never talks to a server. Offline: yes. Errors: desk_enrolled (this desk
     * belongs to a consortium server), library_unknown (not a demo library).
     */
    loadDemo: Type.Object({ libraryCode: Type.Optional(libraryCode) }, strict),
    /**
     * Sets a desk up on its own, without a consortium server: one library, named here. Items
     * it does not know are routed by barcode prefix only (set aside when none matches).
     * Offline: yes. Errors: desk_enrolled.
     */
    setUpStandalone: Type.Object(
      {
        libraryCode,
        libraryName: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
      },
      strict,
    ),
  },
  staff: {
    /**
     * Signs staff in by initials (and PIN where the library wants one); every record after
     * says who. Offline: yes. Errors: pin_required, pin_wrong, desk_not_set_up.
     */
    signIn: Type.Object(
      {
        initials: Type.String({ minLength: 1, maxLength: 8, pattern: '^[A-Za-z0-9]+$' }),
        pin: Type.Optional(Type.String({ pattern: '^[0-9]{4,8}$' })),
      },
      strict,
    ),
    /** Offline: yes. */
    signOut: noArgs(),
  },
  checkin: {
    /**
     * Checks an item in: cleans and checks the scan, routes it, records it durably, and only
     * then answers where the item goes (and which crate it was dropped into). Offline: yes,
     * fully. Errors: not_signed_in, desk_not_set_up, barcode_empty, barcode_malformed,
     * barcode_wrong_length, barcode_bad_check_digit (nothing is recorded for those).
     */
    scan: Type.Object({ barcode: rawScan }, strict),
    /**
     * Undoes this desk's latest check-in (a wrong item scanned): the check-in is kept but
     * marked void (exports leave it out), the item comes out of the open crate it was dropped
     * into, and a hold it captured waits for a copy again. Only the latest check-in of this
     * desk, within 10 minutes, and not once its crate was sealed. Offline: yes. Errors:
     * not_signed_in, checkin_not_found, undo_not_latest, undo_too_late.
     */
    undo: Type.Object({ checkinId: id }, strict),
    /**
     * The transit slip of a check-in that sent the item away (hold_transit, return_home), as
     * PDF for the receipt printer: destination code and name in large type, courier stop,
     * item, sender; nothing about a patron. Offline: yes. Errors: checkin_not_found (also for
     * a check-in that kept the item here).
     */
    transitSlip: Type.Object({ checkinId: id }, strict),
    /** The desk's latest check-ins, newest first. Offline: yes. */
    recent: Type.Object(
      { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) },
      strict,
    ),
  },
  crates: {
    /**
     * Opens a crate to another library, or answers the one already open to it (one open
     * crate per destination). Offline: yes. Errors: not_signed_in, library_unknown,
     * crate_to_self.
     */
    open: Type.Object({ destination: libraryCode }, strict),
    /** Crates from (outgoing) or to (incoming) this library, newest first. Offline: yes. */
    list: Type.Object(
      {
        direction: Type.Union([Type.Literal('outgoing'), Type.Literal('incoming')]),
        status: Type.Optional(
          Type.Array(
            Type.Union([
              Type.Literal('open'),
              Type.Literal('sealed'),
              Type.Literal('received'),
              Type.Literal('closed'),
            ]),
            { maxItems: 4 },
          ),
        ),
      },
      strict,
    ),
    /** One crate with its items. Offline: yes. Errors: crate_not_found. */
    get: Type.Object({ crateId: id }, strict),
    /**
     * Packs an item into an open crate of this library. Offline: yes. Errors: not_signed_in,
     * crate_not_found, crate_wrong_library, crate_wrong_state, crate_item_already_in_crate,
     * barcode_*.
     */
    addItem: Type.Object({ crateId: id, barcode: rawScan }, strict),
    /** Takes an item out of an open crate. Errors: as addItem, crate_item_not_in_crate. */
    removeItem: Type.Object({ crateId: id, barcode: rawScan }, strict),
    /** Seals an open crate: its manifest is frozen. Errors: crate_not_found, crate_wrong_state. */
    seal: Type.Object({ crateId: id }, strict),
    /** The label of a sealed crate as PDF. Errors: crate_not_found, crate_wrong_state. */
    label: Type.Object({ crateId: id }, strict),
    /** The manifest of a sealed crate as PDF or CSV. Errors: crate_not_found, crate_wrong_state. */
    manifest: Type.Object(
      { crateId: id, format: Type.Union([Type.Literal('pdf'), Type.Literal('csv')]) },
      strict,
    ),
    /**
     * Scans a crate label on arrival: answers what the crate should hold and what was ticked
     * off so far. Offline: yes. Errors: not_signed_in, crate_not_found, crate_wrong_library,
     * crate_wrong_state.
     */
    receive: Type.Object({ labelBarcode: rawScan }, strict),
    /**
     * Ticks an item off on receipt and routes it like a check-in (hold shelf, onward crate).
     * Errors: as receive, barcode_*.
     */
    receiveItem: Type.Object({ crateId: id, barcode: rawScan }, strict),
    /**
     * Closes a received crate, recording every missing and extra item as a discrepancy.
     * Errors: not_signed_in, crate_not_found, crate_wrong_library, crate_wrong_state.
     */
    close: Type.Object(
      { crateId: id, note: Type.Optional(Type.String({ maxLength: 1000 })) },
      strict,
    ),
  },
  holds: {
    /** Holds this library is asked to pull, oldest first. Offline: as of the last sync. */
    pullList: Type.Object({ pickupLibrary: Type.Optional(libraryCode) }, strict),
    /** Holds on this library's hold shelf, by shelf name. Offline: yes. */
    holdShelf: noArgs(),
    /** Holds to take off the shelf: expired or cancelled. Offline: yes. */
    clearShelf: noArgs(),
    /** The hold slip of a hold on this library's shelf, as PDF. Errors: hold_not_found. */
    slip: Type.Object({ holdId: id }, strict),
  },
  exports: {
    /**
     * This library's check-ins in a date range (local days, inclusive) as a Koha offline
     * circulation file. Offline: yes. Errors: range_invalid, desk_not_set_up.
     */
    checkinsKoc: Type.Object({ from: day, to: day }, strict),
    /** The same as CSV. Errors: range_invalid, desk_not_set_up. */
    checkinsCsv: Type.Object({ from: day, to: day }, strict),
  },
  notes: {
    /**
     * The notes this desk may read (consortium notes and this library's), newest first,
     * without their bodies; optionally only one scope, or only notes with a tag. Offline:
     * yes, as of the last sync. Errors: none.
     */
    list: Type.Object(
      {
        tag: Type.Optional(noteTag),
        scope: Type.Optional(noteScope),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      },
      strict,
    ),
    /**
     * One note with its body, its revisions (newest first, without their text) and its
     * attachments. Offline: yes. Errors: note_not_found (also for another library's note).
     */
    get: Type.Object({ noteId: id }, strict),
    /**
     * Creates a note (no `id`) or edits one. The note and a revision record are written in
     * one transaction. A library note belongs to this desk's library; consortium notes are
     * created and edited by editors only. An edit names the revision it started from
     * (`baseRevision`): if the note has moved on since (another desk's edit arrived by
     * sync), nothing is overwritten and the edit is saved as a new note, a conflict copy
     * linking back to the original (answered with `conflict`). Without `baseRevision` an
     * edit overwrites. Offline: yes; the note reaches other desks at the next sync.
     * Errors: not_signed_in, desk_not_set_up, not_editor, note_not_found, note_scope_fixed.
     */
    save: Type.Object(
      {
        id: Type.Optional(id),
        title: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
        body: Type.String({ maxLength: 200_000 }),
        tags: Type.Array(noteTag, { maxItems: 50 }),
        scope: noteScope,
        baseRevision: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
      },
      strict,
    ),
    /**
     * Every saved revision of a note with its text, newest first. Offline: yes (revisions
     * saved elsewhere appear once synced). Errors: note_not_found.
     */
    history: Type.Object({ noteId: id }, strict),
    /**
     * Full-text search over the notes this desk may read: every word must occur (the last
     * may be the start of a word), title matches rank first, each hit with a snippet of the
     * body; the best 20 unless `limit` says otherwise. Search syntax is not interpreted:
     * quotes, `*`, `-`, NEAR, AND, OR are searched as text. Offline: yes, over notes as of
     * the last sync. Errors: none (no words, no hits).
     */
    search: Type.Object(
      {
        text: Type.String({ maxLength: 200 }),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
      },
      strict,
    ),
    /**
     * Attaches a PNG, JPEG or PDF (at most 5 MiB) to a note; its id is the file name made
     * safe, numbered if the note has a file of that name already (nothing is replaced).
     * Offline: yes. Errors: not_signed_in, desk_not_set_up, not_editor (consortium note),
     * note_not_found, attachment_unreadable, attachment_too_large, attachment_type_mismatch.
     */
    attach: Type.Object(
      {
        noteId: id,
        fileName: Type.String({ minLength: 1, maxLength: 200 }),
        mimeType: Type.Union(noteAttachmentTypes.map((type) => Type.Literal(type))),
        base64: Type.String({ maxLength: noteAttachmentMaxBase64 }),
      },
      strict,
    ),
    /**
     * One attachment of a note, as a file to show or save. Offline: yes for files attached
     * or synced here. Errors: note_not_found, attachment_not_found.
     */
    attachment: Type.Object(
      { noteId: id, attachmentId: Type.String({ minLength: 1, maxLength: 200 }) },
      strict,
    ),
  },
  sync: {
    /**
     * This desk's replication with the consortium server: state, last success, pending
     * changes, data age, clock offset. Offline: yes (it says so). Errors: none; a desk that
     * is not enrolled answers state `disabled`.
     */
    status: noArgs(),
    /**
     * Syncs now: retries at once whatever was waiting for its back-off, pulls and pushes
     * every collection, and answers the status once that round finished or failed (the
     * status says which: `online`, or `offline` / `error` with the reason). Offline: answers
     * `offline` after the first failed request. Errors: desk_not_set_up (not enrolled).
     */
    now: noArgs(),
    /**
     * Enrols this desk with a consortium server using a one-time code from the consortium:
     * the server answers the desk's id, its library and its token; the desk keeps them in
     * its settings, works for that library from then on, and starts syncing (a desk that
     * was enrolled before stops that sync first). Needs the server: not offline. Errors:
     * invalid_arguments (not an http/https URL), enrol_refused (the server refused the code:
     * unknown, used or expired), server_unreachable (no answer, or one the desk cannot read).
     */
    enrol: Type.Object(
      {
        serverUrl: Type.String({
          minLength: 1,
          maxLength: 500,
          pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
        }),
        code: Type.String({ minLength: 1, maxLength: 64 }),
        deskName: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
      },
      strict,
    ),
  },
  reports: {
    /**
     * This library's check-ins per local day and outcome, days ascending. Offline: yes, from
     * the desk's own records. Errors: range_invalid, desk_not_set_up.
     */
    checkinsByDay: Type.Object({ from: day, to: day }, strict),
    /**
     * Crates sealed here and received here per other library in the range, and the
     * courier's turnaround (sealed -> received, hours) per route. Offline: as of the last
     * sync. Errors: range_invalid, desk_not_set_up.
     */
    crateTraffic: Type.Object({ from: day, to: day }, strict),
    /** What is waiting here now: open crates, crates in transit here, the hold shelf. */
    waiting: noArgs(),
  },
  maintenance: {
    /**
     * Backs the desk database up now into the data folder's backups/ (SQLite's online
     * backup: scans go on meanwhile; the copy is checked before it counts). The desk also
     * does this by itself once a day, and removes backups older than the days desk.json
     * keeps them (14 by default; the newest is always kept). Offline: yes. Errors:
     * backup_failed (disk full, folder not writable; nothing was changed).
     */
    backupNow: noArgs(),
    /** The desk's backups, newest first. Offline: yes. Errors: none. */
    backups: noArgs(),
    /**
     * This desk's profile as one .zip to move it to another PC: a consistent copy of the
     * desk database (every record, note attachments included) and its settings. The desk
     * token and the staff PIN hashes are secrets and stay out unless `includeSecrets` is
     * set; without them the restored desk must be enrolled again and staff set new PINs.
     * Offline: yes. Errors: backup_failed.
     */
    exportProfile: Type.Object({ includeSecrets: Type.Optional(Type.Boolean()) }, strict),
    /**
     * One .zip for the consortium's support: the desk's logs, its settings without token or
     * PIN hashes, record counts, versions, sync and update status. Nothing about patrons:
     * hold patron references, shelf names and the barcodes of items on holds are removed
     * from the logs too. Offline: yes. Errors: none.
     */
    supportBundle: noArgs(),
    /**
     * Where the app's updates stand: the feed, a downloaded version, and whether it will be
     * installed now, after a backup, or later (never while unsynced scans have no backup).
     * Offline: yes. Errors: none.
     */
    updateStatus: noArgs(),
  },
} as const satisfies Record<string, Record<string, TSchema>>;

export type DeskContract = typeof deskContract;
export type DeskCapability = keyof DeskContract;
export type DeskArgs<
  C extends DeskCapability,
  M extends keyof DeskContract[C],
> = DeskContract[C][M] extends TSchema ? Static<DeskContract[C][M]> : never;

// ---- Answers --------------------------------------------------------------------------------

export interface LibraryRef {
  readonly code: string;
  readonly name: string;
  readonly courierStop?: string;
}

export interface StaffSession {
  readonly initials: string;
  readonly since: string;
  /** May edit consortium-wide training notes (the desk's settings list its editors). */
  readonly editor: boolean;
}

export interface DeskStatus {
  readonly version: string;
  readonly library: LibraryRef | null;
  readonly deskId: string;
  readonly staff: StaffSession | null;
}

export interface CrateSummary {
  readonly crateId: string;
  readonly labelBarcode: string;
  readonly origin: LibraryRef;
  readonly destination: LibraryRef;
  readonly status: CrateStatus;
  /** Items in the crate now (open), on its manifest (sealed and later). */
  readonly count: number;
  readonly capacity: number;
  readonly openedAt: string;
  readonly sealedAt?: string;
  readonly receivedAt?: string;
  readonly closedAt?: string;
}

export interface CrateItem {
  readonly barcode: string;
  readonly title?: string;
  readonly callNumber?: string;
  /** The pickup library when the item travels for a hold. */
  readonly forHoldAt?: string;
}

export interface CrateView extends CrateSummary {
  readonly items: readonly CrateItem[];
}

/** A crate being received: the manifest against what was scanned so far. */
export interface CrateReceipt {
  readonly crate: CrateSummary;
  readonly expected: readonly CrateItem[];
  readonly received: readonly string[];
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly duplicates: readonly string[];
}

export interface DeskWarning {
  readonly code: 'crate_over_capacity' | 'crate_opened';
  readonly message: string;
}

export interface CheckinAnswer {
  readonly checkinId: string;
  readonly barcode: string;
  readonly scannedAt: string;
  readonly staff: string;
  readonly outcome: CheckinOutcome;
  readonly title?: string;
  readonly callNumber?: string;
  /** Where the item goes, when it goes somewhere (hold transit, home). */
  readonly destination?: LibraryRef;
  /** The open crate check-in dropped the item into. */
  readonly crate?: CrateSummary;
  /** For hold_here: what the slip shows. The shelf name is never logged. */
  readonly holdSlip?: {
    readonly holdId: string;
    readonly shelfName: string;
    readonly expiresOn: string;
  };
  readonly warnings: readonly DeskWarning[];
  /** Staff undid this check-in (it stays on record, void). */
  readonly voided?: true;
  /** This routing replaces that earlier check-in's (a hold capture lost to another desk). */
  readonly rerouteOf?: string;
}

export interface CrateItemAnswer {
  readonly crate: CrateSummary;
  readonly barcode: string;
  readonly warnings: readonly DeskWarning[];
}

export interface ReceiveItemAnswer {
  readonly receipt: CrateReceipt;
  /** How the received item was routed on (hold shelf here, onward crate...). */
  readonly checkin: CheckinAnswer;
}

export interface PullListEntry {
  readonly holdId: string;
  readonly holdType: 'title' | 'item';
  readonly bibId: string;
  readonly title?: string;
  readonly author?: string;
  readonly callNumber?: string;
  readonly itemBarcode?: string;
  readonly pickupLibrary: string;
  readonly requestedAt: string;
}

export interface HoldShelfEntry {
  readonly holdId: string;
  readonly shelfName: string;
  readonly itemBarcode?: string;
  readonly title?: string;
  readonly callNumber?: string;
  readonly status: HoldStatus;
  readonly expiresOn?: string;
  /** Why it should come off the shelf (clear-shelf list only). */
  readonly clearReason?: 'expired' | 'cancelled';
}

/** A file for staff to print or save; base64 so both bridges carry it as JSON. */
export interface DeskDocument {
  readonly fileName: string;
  readonly mimeType: 'application/pdf' | 'text/csv' | 'text/plain';
  readonly base64: string;
}

/** A note as lists show it: everything but the body. */
export interface NoteSummary {
  readonly noteId: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly scope: NoteScope;
  /** The library a library note belongs to. */
  readonly libraryCode?: string;
  /** Who saved the current revision. */
  readonly author: string;
  readonly revisionNumber: number;
  readonly updatedAt: string;
  /** Set on a conflict copy: the note it was split from (staff merge and delete the copy). */
  readonly conflictOf?: string;
}

/** A revision in a note's history list. */
export interface NoteRevisionSummary {
  readonly revisionId: string;
  readonly revisionNumber: number;
  readonly title: string;
  readonly author: string;
  readonly savedAt: string;
}

/** A revision with its text, as `notes.history` answers it. */
export interface NoteRevisionEntry extends NoteRevisionSummary {
  readonly body: string;
  readonly tags: readonly string[];
}

export interface NoteAttachmentInfo {
  readonly attachmentId: string;
  readonly mimeType: NoteAttachmentType;
  /** Bytes. */
  readonly size: number;
}

export interface NoteView extends NoteSummary {
  /** Markdown; the UI renders it. */
  readonly body: string;
  readonly revisions: readonly NoteRevisionSummary[];
  readonly attachments: readonly NoteAttachmentInfo[];
}

export interface NoteSaveAnswer {
  readonly note: NoteView;
  /** Present when the edit became a conflict copy: `note` is the copy, not the original. */
  readonly conflict?: { readonly originalId: string };
}

/** A piece of a search snippet; `match` pieces are the words searched for. */
export interface NoteSnippetPart {
  readonly text: string;
  readonly match: boolean;
}

export interface NoteSearchHit {
  readonly note: NoteSummary;
  /** Plain text from the body (Markdown unrendered) around the best match; may be empty. */
  readonly snippet: readonly NoteSnippetPart[];
}

/** A note's attachment as a file: a DeskDocument of the types notes carry. */
export type NoteAttachmentDocument = Omit<DeskDocument, 'mimeType'> & {
  readonly mimeType: NoteAttachmentType;
};

/** Crates between this library and one other, in a date range. */
export interface CrateTraffic {
  /** The other library's code. */
  library: string;
  sentCrates: number;
  sentItems: number;
  receivedCrates: number;
  receivedItems: number;
}

/** How long crates took on one route (sealed at `from` -> received at `to`). */
export interface CourierTurnaround {
  readonly from: string;
  readonly to: string;
  readonly crates: number;
  readonly medianHours: number;
  readonly p90Hours: number;
}

export interface WaitingCounts {
  readonly openCrates: number;
  readonly cratesInTransitHere: number;
  /** When the oldest crate still travelling here was sealed, if any is. */
  readonly oldestInTransitSince: string | null;
  readonly cratesBeingUnpacked: number;
  readonly onHoldShelf: number;
  readonly expiredOnHoldShelf: number;
}

/** Where this desk's replication stands (see `sync.status`). */
export type SyncState = 'disabled' | 'offline' | 'syncing' | 'online' | 'error';

export interface SyncStatus {
  /**
   * `disabled`: not enrolled (or stopped); `syncing`: a round is running; `online`: in sync
   * and listening for changes; `offline`: the server cannot be reached, retrying with
   * back-off; `error`: the server refused something (retried, except a token the server no
   * longer knows or revoked, which stops sync until the desk is enrolled again).
   */
  readonly state: SyncState;
  /** When (desk clock) the desk last finished a round with everything pulled and pushed. */
  readonly lastSuccessAt: string | null;
  /**
   * Why the state is `offline` or `error`: the server's error code (`unauthorized`,
   * `revoked`, `forbidden`, `invalid_document`, `rate_limited`...), `server_unreachable`
   * (no answer), `server_error` (an answer the desk cannot read) or `sync_internal` (the
   * desk failed to apply what it got; its log has the detail).
   */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Documents changed at this desk that the server has not acknowledged yet. */
  readonly pending: number;
  /**
   * How old the desk's copy of the consortium's data may be, in seconds: 0 while `online`
   * (the server tells the desk of every change), else the time since `lastSuccessAt`; null
   * before the first success.
   */
  readonly dataAgeSeconds: number | null;
  /**
   * The server's clock minus the desk's, in milliseconds, measured from the HTTP `Date`
   * header of the server's answers (whole seconds: good to about half a second plus half a
   * round trip). Positive: the desk's clock is behind. Null until measured.
   */
  readonly clockOffsetMs: number | null;
}

/** What `sync.enrol` answers: who the server says this desk is, and the sync it started. */
export interface SyncEnrolment {
  readonly deskId: string;
  readonly libraryCode: string;
  readonly serverUrl: string;
  readonly status: SyncStatus;
}

/** A backup of the desk database, in the data folder's backups/. */
export interface DeskBackup {
  readonly fileName: string;
  readonly takenAt: string;
  readonly bytes: number;
}

/** A .zip for staff to save (profile export, support bundle). */
export type ZipDocument = Omit<DeskDocument, 'mimeType'> & { readonly mimeType: 'application/zip' };

/** What the desk does with a downloaded update (main/updates/update-policy.ts). */
export interface UpdateDecision {
  readonly action: 'install' | 'back-up-then-install' | 'wait';
  /** Why, in staff's words. */
  readonly reason: string;
}

export interface UpdateStatus {
  /**
   * `unavailable`: no feed (the desk is not enrolled, or this is not an installed app);
   * `idle`: up to date as of `lastCheckedAt`; `downloading`; `ready`: downloaded, see
   * `decision`; `error`: the last check or download failed (`error` says why).
   */
  readonly state: 'unavailable' | 'idle' | 'checking' | 'downloading' | 'ready' | 'error';
  readonly currentVersion: string;
  readonly availableVersion: string | null;
  /** The generic feed: `<server>/v1/updates/`. */
  readonly feedUrl: string | null;
  readonly lastCheckedAt: string | null;
  readonly decision: UpdateDecision | null;
  readonly error: string | null;
}

/** What each method answers. Must list exactly the methods of `deskContract`. */
export interface DeskAnswers {
  desk: {
    status: DeskStatus;
    libraries: LibraryRef[];
    loadDemo: DeskStatus;
    setUpStandalone: DeskStatus;
  };
  staff: { signIn: StaffSession; signOut: null };
  checkin: {
    scan: CheckinAnswer;
    undo: CheckinAnswer;
    transitSlip: DeskDocument;
    recent: CheckinAnswer[];
  };
  crates: {
    open: CrateSummary;
    list: CrateSummary[];
    get: CrateView;
    addItem: CrateItemAnswer;
    removeItem: CrateItemAnswer;
    seal: CrateSummary;
    label: DeskDocument;
    manifest: DeskDocument;
    receive: CrateReceipt;
    receiveItem: ReceiveItemAnswer;
    close: CrateSummary;
  };
  holds: {
    pullList: PullListEntry[];
    holdShelf: HoldShelfEntry[];
    clearShelf: HoldShelfEntry[];
    slip: DeskDocument;
  };
  exports: { checkinsKoc: DeskDocument; checkinsCsv: DeskDocument };
  notes: {
    list: NoteSummary[];
    get: NoteView;
    save: NoteSaveAnswer;
    history: NoteRevisionEntry[];
    search: NoteSearchHit[];
    attach: NoteAttachmentInfo;
    attachment: NoteAttachmentDocument;
  };
  sync: { status: SyncStatus; now: SyncStatus; enrol: SyncEnrolment };
  reports: {
    checkinsByDay: { day: string; route: CheckinRoute; count: number }[];
    crateTraffic: { traffic: CrateTraffic[]; turnaround: CourierTurnaround[] };
    waiting: WaitingCounts;
  };
  maintenance: {
    backupNow: DeskBackup;
    backups: DeskBackup[];
    exportProfile: ZipDocument;
    supportBundle: ZipDocument;
    updateStatus: UpdateStatus;
  };
}

type SameKeys<A, B> = [keyof A] extends [keyof B]
  ? [keyof B] extends [keyof A]
    ? true
    : false
  : false;
type AnswersMatchContract = {
  [C in DeskCapability]: SameKeys<DeskContract[C], DeskAnswers[C]>;
}[DeskCapability];
// A compile error here means DeskAnswers and deskContract list different methods.
const answersMatchContract: AnswersMatchContract = true;
void answersMatchContract;

/** The desk API as a caller sees it (renderer, tests): one async function per method. */
export type DeskApi = {
  [C in DeskCapability]: {
    [M in keyof DeskContract[C] & keyof DeskAnswers[C]]: (
      args: DeskArgs<C, M>,
    ) => Promise<DeskResult<DeskAnswers[C][M]>>;
  };
};

/** What main implements per capability: the same functions (answers may be synchronous). */
export type DeskHandlers = {
  [C in DeskCapability]: {
    [M in keyof DeskContract[C] & keyof DeskAnswers[C]]: (
      args: DeskArgs<C, M>,
    ) => Promise<DeskResult<DeskAnswers[C][M]>> | DeskResult<DeskAnswers[C][M]>;
  };
};

/** `capability.method` for every method, the one list both bridges are built from. */
export const deskMethodNames: readonly string[] = Object.entries(deskContract).flatMap(
  ([capability, methods]) => Object.keys(methods).map((method) => `${capability}.${method}`),
);

/** The argument schema of `capability.method`, or undefined for an unknown name. */
export function deskMethodSchema(name: string): TSchema | undefined {
  const [capability, method, ...rest] = name.split('.');
  if (capability === undefined || method === undefined || rest.length > 0) return undefined;
  if (!Object.hasOwn(deskContract, capability)) return undefined;
  const methods = deskContract[capability as DeskCapability] as Record<string, TSchema>;
  return Object.hasOwn(methods, method) ? methods[method] : undefined;
}

// ---- Events main pushes to the UI ---------------------------------------------------------

export interface DeskEvents {
  /** A check-in was recorded (at this desk, through any bridge). */
  'checkin.recorded': CheckinAnswer;
  /** A crate of this library changed (opened, item added or removed, sealed, received, closed). */
  'crates.changed': CrateSummary;
  /** The desk's sync status changed (state, error, pending count, last success, offset). */
  'sync.status': SyncStatus;
  /**
   * Documents of these collections changed here (a desk action or a sync pull): lists on
   * screen that read them are out of date. Sent at most a few times a second.
   */
  'data.changed': { collections: DeskCollectionName[] };
  /**
   * Sync showed that a hold this desk captured an item for was filled first by another copy
   * elsewhere (the earlier capture wins). The item was routed again: `checkin` is its new
   * routing (`rerouteOf` names the check-in it replaces), to show staff at once. Without
   * `checkin` the item had already left in a sealed crate: the library it reaches routes it.
   */
  'holds.captureLost': {
    holdId: string;
    barcode: string;
    title?: string;
    checkin?: CheckinAnswer;
  };
}

export const deskEventNames = [
  'checkin.recorded',
  'crates.changed',
  'sync.status',
  'data.changed',
  'holds.captureLost',
] as const satisfies readonly (keyof DeskEvents)[];
export type DeskEventName = keyof DeskEvents;

/** `window.carrel` in the desk app, and the WebSocket client in a browser. */
export type DeskClient = DeskApi & {
  readonly version: string;
  on<E extends DeskEventName>(event: E, listener: (payload: DeskEvents[E]) => void): () => void;
};
