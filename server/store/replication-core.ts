// The replication rules both stores apply, written once: how a registration is checked, how a
// pushed row is judged against its master and answered, which libraries a new version reaches
// and leaves, how a lender's loans change, and how a pull page is assembled and answered.
//
// Pure: the stores read what these functions need, in their own transactions (synchronous
// inside BEGIN IMMEDIATE on SQLite; under advisory locks, pipelined, on PostgreSQL), and write
// what they answer. What the two databases do differently comes in as a parameter: which
// strings can be keys (KeyRule: PostgreSQL text cannot hold U+0000) and how a flag is read
// back (Flag: SQLite has no booleans).
import {
  documentFields,
  librariesLeft,
  normaliseScope,
  sameDocumentState,
  sameScope,
} from './document-state.js';
import { EVERY_LIBRARY, ReplicationStoreError } from './replication-store.js';
import type {
  Checkpoint,
  CollectionRegistration,
  CommittedChange,
  JsonDocument,
  PullJson,
  PullRequest,
  PullResult,
  PushContext,
  PushRow,
  ScopeGrant,
  StoredDoc,
} from './replication-store.js';

export type Registration = CollectionRegistration<JsonDocument>;

/** Whether a value can be a key (document id, library code) in the store's database. */
export type KeyRule = (value: unknown) => value is string;

/** A flag as the driver reads it back: 0 or 1 from SQLite, a boolean from PostgreSQL. */
export type Flag = boolean | 0 | 1;

/** A stored version of a document as the database holds it: deleted flag, fields as JSON. */
export interface StoredState {
  readonly deleted: Flag;
  /**
   * JSON.stringify of the fields, without `_deleted` (the flag is its own column): the only
   * text written is pushedVersion's, and re-scoping writes a row's text back unchanged. A pull
   * sends it as it is, the flag spliced in (pullJson).
   */
  readonly data: string;
}

/** A version about to be written: its fields as stored, and the parent it is scoped by. */
export interface DocumentVersion {
  readonly id: string;
  readonly deleted: boolean;
  readonly data: string;
  readonly parent: string | null;
}

function isSet(flag: Flag): boolean {
  return flag === true || flag === 1;
}

// ---- Keys and registrations

/** A lone surrogate would reach SQLite as U+FFFD, and two ids would become one. */
const loneSurrogate = /[\uD800-\uDFFF]/u;

export function isKey(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && !loneSurrogate.test(value);
}

/** The registration of a collection; `unknown_collection` if there is none. */
export function registrationOf(
  registrations: ReadonlyMap<string, Registration>,
  collection: string,
): Registration {
  const registration = registrations.get(collection);
  if (registration === undefined) {
    throw new ReplicationStoreError('unknown_collection', `No collection ${collection}.`);
  }
  return registration;
}

/** Refuses a malformed registration, or one whose name is taken: `invalid_registration`. */
export function checkRegistration(
  registration: Registration,
  taken: ReadonlyMap<string, Registration>,
): void {
  const problem = (message: string) =>
    new ReplicationStoreError(
      'invalid_registration',
      `Collection ${String(registration.name)}: ${message}.`,
    );
  if (!isKey(registration.name)) throw problem('the name must be a non-empty string');
  if (taken.has(registration.name)) throw problem('already registered');
  if (!isKey(registration.primaryKey)) throw problem('the primary key must be a field name');
  const { scope, scopeFrom } = registration;
  if ((typeof scope === 'function') === (scopeFrom !== undefined)) {
    throw problem('give exactly one of scope (a function) and scopeFrom');
  }
  if (registration.write !== undefined && typeof registration.write !== 'function') {
    throw problem('the write rule must be a function');
  }
  checkGrants(registration, taken, problem);
  if (scopeFrom === undefined) return;
  if (!isKey(scopeFrom.collection) || !isKey(scopeFrom.key)) {
    throw problem('scopeFrom needs a collection and a key field');
  }
  // A cycle would make every member's scope its own: nobody would ever see them.
  for (let parent: string | undefined = scopeFrom.collection; parent !== undefined;) {
    if (parent === registration.name) throw problem('its scopeFrom chain leads back to itself');
    parent = taken.get(parent)?.scopeFrom?.collection;
  }
}

/**
 * Lending stays one step deep: a borrower has a scope rule of its own and lends nothing, so a
 * lender's change re-scopes its borrowers and stops there. Chains or cycles of lending could
 * keep a library in a scope on the strength of its own earlier presence.
 */
function checkGrants(
  registration: Registration,
  taken: ReadonlyMap<string, Registration>,
  problem: (message: string) => ReplicationStoreError,
): void {
  const borrowsFromTaken = [...taken.values()].some(
    (other) => other.grants?.collection === registration.name,
  );
  if (borrowsFromTaken && (registration.grants !== undefined || registration.scopeFrom)) {
    throw problem(
      'a collection others lend their scope to must have a scope rule and lend nothing',
    );
  }
  const { grants } = registration;
  if (grants === undefined) return;
  if (!isKey(grants.collection) || typeof grants.keys !== 'function') {
    throw problem('grants needs a collection and a keys function');
  }
  if (grants.whileParent !== undefined && registration.scopeFrom === undefined) {
    throw problem('grants.whileParent needs scopeFrom');
  }
  const borrower = taken.get(grants.collection);
  if (
    grants.collection === registration.name ||
    (borrower !== undefined && (borrower.grants !== undefined || borrower.scopeFrom))
  ) {
    throw problem(
      `it cannot lend its scope to ${grants.collection}: a borrower must have a scope rule and lend nothing`,
    );
  }
}

/** The registrations of the collections scoped by documents of `collection` (scopeFrom). */
export function scopedBy(
  registrations: ReadonlyMap<string, Registration>,
  collection: string,
): Registration[] {
  return [...registrations.values()].filter((child) => child.scopeFrom?.collection === collection);
}

// ---- Documents and scopes

/** A stored version as the master state RxDB compares and receives. */
export function masterState(row: StoredState): StoredDoc {
  return { ...(JSON.parse(row.data) as JsonDocument), _deleted: isSet(row.deleted) };
}

/** A document as a library it no longer concerns receives it: deleted, trimmed. */
export function departedView(registration: Registration, fields: JsonDocument): StoredDoc {
  const departed = registration.departed ?? ((doc: JsonDocument) => doc);
  return { ...departed(fields), _deleted: true };
}

/** The id of the parent a document is scoped by (scopeFrom); null if none or not a key. */
export function parentOf(
  registration: Registration,
  doc: JsonDocument,
  keyRule: KeyRule,
): string | null {
  if (registration.scopeFrom === undefined) return null;
  const parent = doc[registration.scopeFrom.key];
  return keyRule(parent) ? parent : null;
}

/**
 * The libraries a document's own scope rule names, normalised; `invalid_scope` if it names
 * something else. `libraryRule`, if given, refuses library codes the database cannot store.
 */
export function ruleScope(
  registration: Registration & { readonly scope: (doc: JsonDocument) => readonly string[] },
  doc: JsonDocument,
  libraryRule?: KeyRule,
): string[] {
  const scope = normaliseScope(registration.scope(doc));
  if (scope === undefined || (libraryRule !== undefined && !scope.every(libraryRule))) {
    throw new ReplicationStoreError(
      'invalid_scope',
      `${registration.name}: the scope rule must return library codes.`,
    );
  }
  return scope;
}

/** A borrower's scope: its own, and the libraries that see its lenders (ScopeGrant). */
export function withLentScope(scope: string[], lent: readonly string[]): string[] {
  return lent.length === 0 ? scope : (normaliseScope([...scope, ...lent]) ?? scope);
}

// ---- Pull

/** Refuses a malformed pull: `invalid_request`. */
export function checkPullRequest(request: PullRequest, keyRule: KeyRule): void {
  const { library, after, limit } = request;
  if (!keyRule(library) || library === EVERY_LIBRARY) {
    throw new ReplicationStoreError('invalid_request', `Pull: no library ${String(library)}.`);
  }
  if (after !== null && !(Number.isSafeInteger(after.seq) && after.seq >= 0)) {
    throw new ReplicationStoreError('invalid_request', 'Pull: malformed checkpoint.');
  }
  if (!(Number.isSafeInteger(limit) && limit > 0)) {
    throw new ReplicationStoreError('invalid_request', 'Pull: limit must be a positive integer.');
  }
}

/** A visibility row a pull serves, with its document's current state. */
export interface PulledRow extends StoredState {
  readonly id: string;
  readonly seq: number;
  readonly leaving: Flag;
}

/**
 * The first `limit` documents after a checkpoint for a library, each at its latest row, in
 * seq order, gathered from the store's pull query (`limit` rows after a cursor). A document
 * can have two rows for one library, its own and the `'*'` row (a consortium note narrowed to
 * a library, then moved on): the later one is its state, and RxDB wants it once. Dropping the
 * earlier row shortens the page, and RxDB takes a short page for the end of the feed, so the
 * page is topped up from further rows.
 */
export class PullPage<Row extends { readonly id: string; readonly seq: number }> {
  private readonly latestRows = new Map<string, Row>();

  constructor(private readonly limit: number) {}

  /** Takes one query's rows; answers the cursor of the next query, undefined when done. */
  add(rows: readonly Row[]): number | undefined {
    for (const row of rows) {
      this.latestRows.delete(row.id); // re-inserted last: the map stays in seq order
      this.latestRows.set(row.id, row);
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < this.limit) return undefined;
    return this.latestRows.size < this.limit ? last.seq : undefined;
  }

  /**
   * The page. Rows past the first `limit` documents wait for the next page (whose checkpoint
   * starts after the last one served here, so none is lost).
   */
  rows(): Row[] {
    return [...this.latestRows.values()].slice(0, this.limit);
  }
}

/** A page a store read for a pull: the rows it serves, and the checkpoint it was asked after. */
export interface PulledPage {
  readonly registration: Registration;
  readonly rows: readonly PulledRow[];
  readonly after: Checkpoint | null;
}

/** The last served row's seq; the request's checkpoint if none was served. */
function pageCheckpoint({ rows, after }: PulledPage): Checkpoint {
  return { seq: rows.at(-1)?.seq ?? after?.seq ?? 0 };
}

/** A pulled row as the library receives it: a row the library left is served as a deletion. */
function pulledDocument(registration: Registration, row: PulledRow): StoredDoc {
  const fields = JSON.parse(row.data) as JsonDocument;
  return isSet(row.leaving)
    ? departedView(registration, fields)
    : { ...fields, _deleted: isSet(row.deleted) };
}

/**
 * A pulled row as JSON text, the same as JSON.stringify(pulledDocument(...)) but, for a row
 * the library still sees, built from the stored text without parsing it: the fields with
 * `"_deleted"` spliced in as the last key, where `{ ...fields, _deleted }` puts it. The
 * stored text is what JSON.stringify made of the fields (pushedVersion), so it is a compact
 * object and holds no top-level `_deleted` (documentFields drops it): the splice adds the only
 * one.
 * Text of any other shape (no store writes it) goes the long way rather than be spliced into
 * something that is not JSON. A row the library left is trimmed (departedView): parsed.
 */
function pulledDocumentJson(registration: Registration, row: PulledRow): string {
  const { data } = row;
  if (!isSet(row.leaving)) {
    const deleted = isSet(row.deleted) ? 'true' : 'false';
    if (data === '{}') return `{"_deleted":${deleted}}`;
    if (data.startsWith('{"') && data.endsWith('}')) {
      return `${data.slice(0, -1)},"_deleted":${deleted}}`;
    }
  }
  return JSON.stringify(pulledDocument(registration, row));
}

/** A pull's answer (PullResult). */
export function pullResult(page: PulledPage): PullResult {
  const { registration, rows } = page;
  return {
    documents: rows.map((row) => pulledDocument(registration, row)),
    checkpoint: pageCheckpoint(page),
  };
}

/** The same answer with its documents as one JSON array text (PullJson). */
export function pullJson(page: PulledPage): PullJson {
  const { registration, rows } = page;
  return {
    documents: `[${rows.map((row) => pulledDocumentJson(registration, row)).join(',')}]`,
    count: rows.length,
    checkpoint: pageCheckpoint(page),
  };
}

// ---- Push

/**
 * The id of a pushed row's document: `invalid_row` if it has none the database can hold, or
 * if its assumed master state names another document.
 */
export function pushedId(registration: Registration, row: PushRow, keyRule: KeyRule): string {
  const { assumedMasterState, newDocumentState } = row;
  const id = newDocumentState[registration.primaryKey];
  if (!keyRule(id)) {
    throw new ReplicationStoreError(
      'invalid_row',
      `${registration.name}: a pushed document has no ${registration.primaryKey}.`,
    );
  }
  if (assumedMasterState !== null && assumedMasterState[registration.primaryKey] !== id) {
    throw new ReplicationStoreError(
      'invalid_row',
      `${registration.name} ${id}: the assumed master state is of another document.`,
    );
  }
  return id;
}

/** A row that is not written: the master it met, and whether it already held the row. */
export interface Unwritten {
  readonly master: StoredDoc;
  readonly alreadyThere: boolean;
}

/**
 * Judges a pushed row against the stored version of its document (null or undefined: none).
 * Answers undefined when the row is written: there is no master yet (whatever the desk
 * assumed, as RxDB's own server does), or the desk's assumption holds.
 */
export function judgeRow(
  row: PushRow,
  current: StoredState | null | undefined,
): Unwritten | undefined {
  if (current === null || current === undefined) return undefined;
  const master = masterState(current);
  const alreadyThere = sameDocumentState(row.newDocumentState, master);
  if (alreadyThere || !sameDocumentState(row.assumedMasterState, master)) {
    return { master, alreadyThere };
  }
  return undefined;
}

/**
 * What the pushing library is answered for a row not written. A row already applied (a
 * retried push, or two desks making the same change) is a success; anything else is a
 * conflict. Either way a library the document does not concern (`sees` false) is answered
 * with a deletion, so its desk keeps no copy that it would never hear about again. That
 * deletion is the row's own document, not the server's: a library is not told what it does
 * not see, even when its desk names the document (with any assumed state it likes).
 */
export function answerRow(
  registration: Registration,
  row: PushRow,
  { master, alreadyThere }: Unwritten,
  sees: boolean,
): StoredDoc[] {
  if (sees) return alreadyThere ? [] : [master];
  return [departedView(registration, documentFields(row.newDocumentState))];
}

/** The version a written row stores, and its fields (which its scope is computed from). */
export function pushedVersion(
  registration: Registration,
  id: string,
  state: StoredDoc,
  keyRule: KeyRule,
): { readonly fields: JsonDocument; readonly version: DocumentVersion } {
  const fields = documentFields(state);
  const version: DocumentVersion = {
    id,
    data: JSON.stringify(fields),
    deleted: state._deleted === true,
    parent: parentOf(registration, fields, keyRule),
  };
  return { fields, version };
}

/** The visibility rows a new version of a document gets, all at the version's seq. */
export interface VisibilityUpdate {
  /** Every library sees the version: the `'*'` row alone says so, the document's others go. */
  readonly everyLibrary: boolean;
  /** Libraries that see the version (rows not leaving). */
  readonly seeing: readonly string[];
  /** Libraries it leaves (`leaving` rows). */
  readonly left: readonly string[];
  /** Libraries whose pulls find something new: `seeing`, then `left`. */
  readonly told: readonly string[];
  /** Whether the libraries that see the document changed: its children must follow. */
  readonly scopeChanged: boolean;
}

/**
 * A new version's visibility: the libraries that see it move to its seq; those that saw the
 * previous version and do not see this one get a `leaving` row at this seq (libraries left
 * earlier keep theirs: they learn once, whenever they pull). So does the pushing library if
 * it wrote outside its scope (the write rule should refuse that, but its desk holds a copy
 * that must not linger). `pushedBy` is `'*'` for the server's own writes and re-scoping.
 */
export function visibilityUpdate(
  previousScope: readonly string[],
  scope: readonly string[],
  pushedBy: string,
): VisibilityUpdate {
  const holders =
    pushedBy === EVERY_LIBRARY || previousScope.includes(pushedBy)
      ? previousScope
      : [...previousScope, pushedBy];
  const left = librariesLeft(holders, scope);
  return {
    everyLibrary: scope.includes(EVERY_LIBRARY),
    seeing: scope,
    left,
    told: [...scope, ...left],
    scopeChanged: !sameScope(previousScope, scope),
  };
}

/**
 * What one transaction wrote, per collection in the order first written: the position of its
 * last version (the seq on SQLite; the push-local ordinal on PostgreSQL, numbered at the end)
 * and the libraries told. For the commit listeners and, on PostgreSQL, the NOTIFY.
 */
export class ChangeLog {
  private readonly collections = new Map<
    string,
    { last: number; libraries: Set<string>; pushedBy: string | null }
  >();

  /**
   * `pushedBy`: the desk that pushed this version, if its library still sees it
   * (CommittedChange.pushedBy); a collection keeps it only while every version agrees.
   */
  record(
    collection: string,
    position: number,
    libraries: readonly string[],
    pushedBy?: string,
  ): void {
    const change = this.collections.get(collection);
    if (change === undefined) {
      this.collections.set(collection, {
        last: position,
        libraries: new Set(libraries),
        pushedBy: pushedBy ?? null,
      });
      return;
    }
    change.last = position;
    for (const library of libraries) change.libraries.add(library);
    if (change.pushedBy !== pushedBy) change.pushedBy = null;
  }

  /** Each collection written, its last position, the libraries told (sorted), its pusher. */
  list(): { collection: string; last: number; libraries: string[]; pushedBy?: string }[] {
    return [...this.collections].map(([collection, { last, libraries, pushedBy }]) => ({
      collection,
      last,
      libraries: [...libraries].sort(),
      ...(pushedBy === null ? {} : { pushedBy }),
    }));
  }
}

/** The pushing desk to record with a version (ChangeLog.record), if its library still sees it. */
export function echoOf(
  pushed: PushContext | undefined,
  update: VisibilityUpdate,
): string | undefined {
  if (pushed === undefined || pushed.library === EVERY_LIBRARY) return undefined;
  const sees = update.everyLibrary || update.seeing.includes(pushed.library);
  return sees && !update.left.includes(pushed.library) ? pushed.deskId : undefined;
}

/**
 * Tells listeners of a commit, each asynchronously (after the call returns), so a listener
 * cannot fail a push that has committed.
 */
export function tellLater(
  listeners: ReadonlySet<(change: CommittedChange) => void>,
  changes: readonly CommittedChange[],
): void {
  for (const change of changes) {
    for (const listener of listeners) queueMicrotask(() => listener(change));
  }
}

// ---- Loans (ScopeGrant)

/** How a lender's loans change with a new version of it. */
export interface LoanChange {
  /** Borrowers it lends to now and did not before: loans to record. */
  readonly gained: readonly string[];
  /** Borrowers it lent to and no longer does: loans to revoke. */
  readonly lost: readonly string[];
  /**
   * Borrowers to re-scope: those that gained or lost the loan, or every borrower before and
   * after when the lender's own scope changed.
   */
  readonly affected: readonly string[];
}

/**
 * Records whom a lender lends its scope to now, against `before` (the loans recorded).
 * `lends`: whether it lends at all (not deleted, and its parent lets it: parentLetsLend); a
 * deleted lender lends to nobody, and its keys are not asked.
 */
export function loanChange(
  grants: ScopeGrant<JsonDocument>,
  fields: JsonDocument,
  lends: boolean,
  before: ReadonlySet<string>,
  scopeChanged: boolean,
  keyRule: KeyRule,
): LoanChange {
  const next = new Set(lends ? grants.keys(fields).filter(keyRule) : []);
  const gained = [...next].filter((key) => !before.has(key));
  const lost = [...before].filter((key) => !next.has(key));
  const affected = scopeChanged ? [...new Set([...before, ...next])] : [...gained, ...lost];
  return { gained, lost, affected };
}

/**
 * Whether a document scoped by a parent may lend (ScopeGrant.whileParent), given the parent
 * as stored (null or undefined: not stored, so it may not).
 */
export function parentLetsLend(
  whileParent: (parent: JsonDocument) => boolean,
  parent: StoredState | null | undefined,
): boolean {
  return (
    parent !== null &&
    parent !== undefined &&
    !isSet(parent.deleted) &&
    whileParent(JSON.parse(parent.data) as JsonDocument)
  );
}

/**
 * A parent whose scope stayed but whose state now lets its children lend or stops them (a
 * crate closed): the child collections whose documents' loans must follow (the children
 * themselves do not change). `previous`: the version before (null or undefined: none).
 */
export function childLoansToRefresh(
  registrations: ReadonlyMap<string, Registration>,
  collection: string,
  previous: StoredState | null | undefined,
  version: StoredState,
): Registration[] {
  return scopedBy(registrations, collection).filter((child) => {
    const whileParent = child.grants?.whileParent;
    if (whileParent === undefined) return false;
    return parentLetsLend(whileParent, previous) !== parentLetsLend(whileParent, version);
  });
}
