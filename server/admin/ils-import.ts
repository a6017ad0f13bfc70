// Items and holds from an ILS report export (CSV), through the mappings in ils-mappings.ts.
//
// A file is read whole and checked before anything is written: every row is mapped, merged
// with what the server holds and validated against the shared schema. A bad row is reported
// with its line and reason, and then nothing of the file is written (unless the administrator
// asks to skip bad rows). A re-import of the same file writes nothing: each document is
// compared with the server's version first. An import never takes a hold back (a hold a desk
// captured stays captured) and never revives an ended one.
import { parse } from 'csv-parse';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import {
  createDocumentValidator,
  isHoldEnded,
  mergeHoldStates,
  type Hold,
  type Item,
} from '../../shared/index.js';
import { HttpError } from '../sync/sync-routes.js';
import { ilsDay, ilsInstant } from './ils-dates.js';
import {
  headerKey,
  holdMappings,
  itemMappings,
  type IlsFormat,
  type IlsHold,
  type IlsItem,
  type ImportKind,
  type Mapping,
} from './ils-mappings.js';
import { changes, readByIds, readLibraries, writeAsServer, type AdminDeps } from './server-data.js';

export interface ImportRequest {
  readonly kind: ImportKind;
  readonly format: IlsFormat;
  /** The file's text (a BOM, quoted fields and CRLF line ends are fine). */
  readonly csv: string;
  /** Write the good rows of a file that has bad ones. */
  readonly skipBadRows?: boolean;
  /** Check and count only; write nothing. */
  readonly dryRun?: boolean;
}

export interface RejectedRow {
  /** The line of the file the row starts on (the header is line 1). */
  readonly line: number;
  readonly reason: string;
}

export interface ImportReport {
  readonly kind: ImportKind;
  readonly format: IlsFormat;
  /** Data rows in the file. */
  readonly rows: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Good rows with nothing to bring: ended holds Carrel never had. */
  readonly skipped: number;
  readonly rejected: readonly RejectedRow[];
  /** Columns of the file the mapping does not read: ignored, never stored. */
  readonly ignoredColumns: readonly string[];
  /** Whether anything was written (false for a dry run and for a refused file). */
  readonly written: boolean;
}

const validItem = createDocumentValidator('items');
const validHold = createDocumentValidator('holds');

/** Rows handled between two turns of the event loop: desks' syncs wait at most that long. */
const ROWS_PER_TURN = 2000;
const PARSE_SLICE = 64 * 1024;
const yieldToDesks = () => setImmediate();

/**
 * A file's records with the line each starts on. The text goes to the parser in slices and
 * the loop lets other requests run every ROWS_PER_TURN records, so a file of hundreds of
 * thousands of rows does not stall the desks' syncs for seconds. Refuses text that is not
 * CSV at all (`csv_malformed`).
 */
async function records(csv: string): Promise<{ cells: string[]; line: number }[]> {
  const parser = parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true });
  const feed = Readable.from(
    (function* () {
      for (let at = 0; at < csv.length; at += PARSE_SLICE) yield csv.slice(at, at + PARSE_SLICE);
    })(),
  );
  const found: { cells: string[]; line: number }[] = [];
  let overcounted = 0;
  try {
    for await (const entry of feed.pipe(parser)) {
      const { record, info } = entry as { record: string[]; info: { lines: number } };
      // `info.lines` is the line the record ends on, except that csv-parse counts a CRLF inside
      // a quoted cell as two lines. Undo that, then step back over the record's own breaks.
      const crlfs = record.reduce((sum, cell) => sum + (cell.match(/\r\n/g)?.length ?? 0), 0);
      const breaks = record.reduce(
        (sum, cell) => sum + (cell.match(/\r\n|\r|\n/g)?.length ?? 0),
        0,
      );
      overcounted += crlfs;
      found.push({ cells: record, line: info.lines - overcounted - breaks });
      if (found.length % ROWS_PER_TURN === 0) await yieldToDesks();
    }
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, 'csv_malformed', `The file is not readable as CSV: ${detail}`);
  }
  return found;
}

/** Which column of the header carries each field of the mapping; the rest are ignored. */
function resolveColumns<Mapped>(
  mapping: Mapping<Mapped>,
  header: readonly string[],
  format: IlsFormat,
): { columnOf: Map<string, number>; ignored: string[] } {
  const positions = new Map<string, number>();
  header.forEach((name, index) => {
    if (!positions.has(headerKey(name))) positions.set(headerKey(name), index);
  });
  const columnOf = new Map<string, number>();
  for (const [field, names] of Object.entries(mapping.columns)) {
    const found = names.map((name) => positions.get(headerKey(name))).find((i) => i !== undefined);
    if (found !== undefined) columnOf.set(field, found);
  }
  const missing = mapping.required.filter((field) => !columnOf.has(field));
  if (missing.length > 0) {
    const wanted = missing.map((field) => mapping.columns[field]?.[0] ?? field);
    throw new HttpError(
      400,
      'csv_columns_missing',
      `This is not a ${format} export as Carrel reads it: no column ${wanted.join(', ')}.`,
    );
  }
  const used = new Set(columnOf.values());
  return { columnOf, ignored: header.filter((_name, index) => !used.has(index)) };
}

/**
 * Carrel's id of an ILS hold: a ULID-shaped hash of the ILS's hold id, so the same hold gets
 * the same id at every import and no table of ids has to be kept. The first character is
 * 0-7, as in every real ULID (its 48-bit time stays in range).
 */
export function holdIdFor(ilsId: string): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = createHash('sha256').update(`carrel-ils-hold:${ilsId}`, 'utf8').digest();
  let id = alphabet[(bytes[0] ?? 0) % 8] ?? '0';
  for (let i = 1; i < 26; i++) id += alphabet[(bytes[i] ?? 0) % 32] ?? '0';
  return id;
}

function schemaReason(validate: typeof validItem | typeof validHold): string {
  const first = validate.errors?.[0];
  return `${first?.instancePath.slice(1) || 'document'} ${first?.message ?? 'is not valid'}`;
}

/** Desk-made states the ILS does not know of: an ILS "available" does not undo them. */
const deskStates = new Set<Item['status']>(['in_transit', 'on_hold_shelf']);

/**
 * The item as the server keeps it: the ILS's fields over the current version. Where it stands
 * (`location`: a floating item's library) is the desks' business and stays; other fields the
 * ILS file does not carry (an author from an earlier import) stay too.
 */
function mergeItem(ils: IlsItem, current: Item | undefined, now: string): Item {
  const keepStatus = current && ils.status === 'available' && deskStates.has(current.status);
  // The call number is the ILS's alone: one it no longer has is removed, not kept.
  const kept = (({ callNumber: _old, ...rest }: Partial<Item>) => rest)(current ?? {});
  return {
    ...kept,
    location: current?.location ?? ils.owner,
    barcode: ils.barcode,
    bibId: ils.bibId,
    title: ils.title,
    ...(ils.callNumber === undefined ? {} : { callNumber: ils.callNumber }),
    owner: ils.owner,
    floating: ils.floating,
    status: keepStatus ? current.status : ils.status,
    updatedAt: current?.updatedAt ?? now,
    deskId: current?.deskId ?? 'server',
  };
}

/**
 * The hold as the server keeps it. What the ILS owns (record, requested item, libraries,
 * request time, patron reference and shelf name) comes from the file; the status only moves
 * forward (`mergeHoldStates`), so a desk's capture is never undone; a capture or shelving a
 * desk recorded is kept over the ILS's. An ended hold drops its patron fields and an ended
 * hold already here is left as it is. Returns a reason for a row that cannot be a hold.
 */
function mergeHold(
  ils: IlsHold,
  current: Hold | undefined,
  zoneOf: (library: string) => string,
  now: string,
): Hold | string {
  if (current && isHoldEnded(current.status)) return current;
  const zone = zoneOf(ils.pickupLibrary);
  const requestedAt = ilsInstant(ils.requested, zone);
  if (requestedAt === undefined) return `request date "${ils.requested}" is not a date`;
  const dates: Partial<Record<'capturedAt' | 'shelvedAt', string>> = {};
  for (const [field, text] of [
    ['capturedAt', ils.captured],
    ['shelvedAt', ils.shelved],
  ] as const) {
    if (text === undefined) continue;
    const instant = ilsInstant(text, zone);
    if (instant === undefined) return `${field} "${text}" is not a date`;
    dates[field] = instant;
  }
  // An ILS's expiry of a hold not yet on the shelf is when the request lapses (Koha's
  // `expirationdate`), not a last day on the shelf: only an on-shelf hold's is kept.
  const shelfExpiry = ils.status === 'on_shelf' ? ils.expires : undefined;
  const expiresOn = shelfExpiry === undefined ? undefined : ilsDay(shelfExpiry);
  if (shelfExpiry !== undefined && expiresOn === undefined) {
    return `shelf expiry "${shelfExpiry}" is not a date`;
  }
  const status = current ? mergeHoldStates(current.status, ils.status) : ils.status;
  const pick = <K extends keyof Hold>(key: K, fromIls: Hold[K] | undefined) =>
    (current?.[key] ?? fromIls) === undefined ? {} : { [key]: current?.[key] ?? fromIls };
  const hold: Hold = {
    id: holdIdFor(ils.ilsId),
    bibId: ils.bibId,
    ...(ils.itemBarcode === undefined ? {} : { itemBarcode: ils.itemBarcode }),
    pickupLibrary: ils.pickupLibrary,
    pullLibrary: ils.pullLibrary ?? ils.pickupLibrary,
    status,
    requestedAt,
    ...pick('capturedAt', dates.capturedAt),
    ...pick('capturedItemBarcode', ils.capturedItemBarcode),
    ...pick('shelvedAt', dates.shelvedAt),
    ...pick('expiresOn', expiresOn),
    ...(isHoldEnded(status)
      ? {}
      : { patronRef: ils.patronRef, ...(ils.shelfName ? { shelfName: ils.shelfName } : {}) }),
    updatedAt: current?.updatedAt ?? now,
    deskId: current?.deskId ?? 'server',
  };
  return hold;
}

/** Checks the file and, unless refused or a dry run, writes what it changes. */
export async function importIlsFile(
  deps: AdminDeps,
  request: ImportRequest,
): Promise<ImportReport> {
  const [headerRecord, ...rows] = await records(request.csv);
  if (!headerRecord) throw new HttpError(400, 'csv_empty', 'The file has no header line.');
  const mapping: Mapping<IlsItem | IlsHold> =
    request.kind === 'items' ? itemMappings[request.format] : holdMappings[request.format];
  const { columnOf, ignored } = resolveColumns(mapping, headerRecord.cells, request.format);
  const libraries = await readLibraries(deps);
  const zoneOf = (code: string) => libraries.get(code)?.timeZone ?? 'UTC';
  const now = deps.now().toISOString();

  const rejected: RejectedRow[] = [];
  const mapped: { line: number; record: IlsItem | IlsHold; key: string }[] = [];
  const firstLine = new Map<string, number>();
  for (const [index, row] of rows.entries()) {
    if (index % ROWS_PER_TURN === ROWS_PER_TURN - 1) await yieldToDesks();
    if (row.cells.length !== headerRecord.cells.length) {
      rejected.push({
        line: row.line,
        reason: `has ${row.cells.length} cells where the header has ${headerRecord.cells.length}`,
      });
      continue;
    }
    const cell = (field: string) => {
      const index = columnOf.get(field);
      const value = index === undefined ? undefined : row.cells[index]?.trim();
      return value === '' ? undefined : value;
    };
    const record = mapping.read(cell);
    if (typeof record === 'string') {
      rejected.push({ line: row.line, reason: record });
      continue;
    }
    const unknown = libraryCodes(record).filter((code) => !libraries.has(code));
    if (unknown.length > 0) {
      rejected.push({ line: row.line, reason: `no member library ${unknown.join(', ')}` });
      continue;
    }
    const key = 'barcode' in record ? record.barcode : holdIdFor(record.ilsId);
    const earlier = firstLine.get(key);
    if (earlier !== undefined) {
      rejected.push({
        line: row.line,
        reason: `the same ${request.kind === 'items' ? 'item' : 'hold'} as line ${earlier}`,
      });
      continue;
    }
    firstLine.set(key, row.line);
    mapped.push({ line: row.line, record, key });
  }

  const keys = mapped.map((entry) => entry.key);
  const current =
    request.kind === 'items'
      ? await readInChunks(deps, 'items', keys)
      : await readInChunks(deps, 'holds', keys);
  const docs: (Item | Hold)[] = [];
  let created = 0;
  let updated = 0;
  let unchanged = 0;
  let skipped = 0;
  for (const [index, { line, record, key }] of mapped.entries()) {
    if (index % ROWS_PER_TURN === ROWS_PER_TURN - 1) await yieldToDesks();
    const before = current.get(key);
    let doc: Item | Hold | string;
    if ('barcode' in record) doc = mergeItem(record, before as Item | undefined, now);
    else if (!before && isHoldEnded(record.status)) {
      skipped += 1;
      continue;
    } else doc = mergeHold(record, before as Hold | undefined, zoneOf, now);
    if (typeof doc === 'string') {
      rejected.push({ line, reason: doc });
      continue;
    }
    const validate = request.kind === 'items' ? validItem : validHold;
    if (!validate(doc)) {
      rejected.push({ line, reason: schemaReason(validate) });
      continue;
    }
    if (!before) created += 1;
    else if (changes(before, doc)) updated += 1;
    else unchanged += 1;
    docs.push(doc);
  }

  rejected.sort((a, b) => a.line - b.line);
  const report = {
    kind: request.kind,
    format: request.format,
    rows: rows.length,
    created,
    updated,
    unchanged,
    skipped,
    rejected,
    ignoredColumns: ignored,
  };
  if (rejected.length > 0 && request.skipBadRows !== true) {
    throw new ImportRefused({ ...report, written: false });
  }
  if (request.dryRun === true) return { ...report, written: false };
  const written =
    request.kind === 'items'
      ? await writeAsServer(deps, 'items', docs as Item[], current as Map<string, Item>)
      : await writeAsServer(deps, 'holds', docs as Hold[], current as Map<string, Hold>);
  return { ...report, written: written > 0 };
}

/** The member libraries a record names, which must all exist. */
function libraryCodes(record: IlsItem | IlsHold): string[] {
  if ('barcode' in record) return [record.owner];
  return [record.pickupLibrary, ...(record.pullLibrary === undefined ? [] : [record.pullLibrary])];
}

async function readInChunks<Name extends 'items' | 'holds'>(
  deps: AdminDeps,
  collection: Name,
  keys: readonly string[],
) {
  const found = new Map<string, Name extends 'items' ? Item : Hold>();
  for (let start = 0; start < keys.length; start += 1000) {
    if (start > 0) await yieldToDesks();
    const chunk = await readByIds(deps, collection, keys.slice(start, start + 1000));
    for (const [key, doc] of chunk) found.set(key, doc as Name extends 'items' ? Item : Hold);
  }
  return found;
}

/** A file with bad rows, refused whole: 422 `import_rejected`, with the report. */
export class ImportRefused extends HttpError {
  constructor(readonly report: ImportReport) {
    super(
      422,
      'import_rejected',
      `${report.rejected.length} of ${report.rows} rows are not valid; nothing was written ` +
        '(fix them, or import with skip-bad-rows to write the others).',
    );
  }
}
