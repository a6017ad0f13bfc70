// How the columns of typical Koha, Evergreen and Symphony report exports become Carrel's items
// and holds (docs/admin/ilsimport.md shows each header line). A mapping reads only the columns
// it names; every other column of a file is ignored, counted and never stored, so a report
// that also exports patron names, emails or phone numbers leaks none of them into Carrel.
//
// Header names are compared without case, spaces or punctuation (`Item ID`, `item_id` and
// `ITEMID` are one column), because the same report is saved differently by different staff.
import type { HoldStatus, ItemStatus } from '../../shared/index.js';

export const ilsFormats = ['koha', 'evergreen', 'symphony'] as const;
export type IlsFormat = (typeof ilsFormats)[number];
export const importKinds = ['items', 'holds'] as const;
export type ImportKind = (typeof importKinds)[number];

/** One mapped field of the row being read: its trimmed cell, or undefined if empty or absent. */
export type Cell = (field: string) => string | undefined;

/** What an item row says, before Carrel's own fields (location, stamp) are added. */
export interface IlsItem {
  barcode: string;
  bibId: string;
  title: string;
  callNumber?: string;
  owner: string;
  status: ItemStatus;
  floating: boolean;
}

/** What a hold row says. Dates stay as written: they are read in the pickup library's zone. */
export interface IlsHold {
  /** The hold's id in the ILS; Carrel's id is derived from it, so a re-import finds it. */
  ilsId: string;
  bibId: string;
  /** The requested item of an item-level hold. */
  itemBarcode?: string;
  /** The copy the ILS captured for the hold, once it has. */
  capturedItemBarcode?: string;
  patronRef: string;
  shelfName?: string;
  pickupLibrary: string;
  /** Absent when the ILS has not picked a copy: the pickup library pulls it. */
  pullLibrary?: string;
  status: HoldStatus;
  requested: string;
  captured?: string;
  shelved?: string;
  expires?: string;
}

export interface Mapping<Mapped> {
  /** Field -> the header names that carry it, the documented one first. */
  readonly columns: Readonly<Record<string, readonly string[]>>;
  /** Fields whose column a file must have. */
  readonly required: readonly string[];
  /** The mapped record, or why the row cannot be one. */
  read(cell: Cell): Mapped | string;
}

/** A header name as compared: lower case, letters and digits only. */
export const headerKey = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** A yes/no cell: 0/1 (any non-zero number is yes, as Koha's lost codes), y/n, t/f, true/false. */
function flag(value: string | undefined): boolean | string {
  if (value === undefined) return false;
  if (/^(0+|n|no|f|false)$/i.test(value)) return false;
  if (/^(\d+|y|yes|t|true)$/i.test(value)) return true;
  return `"${value}" is not a yes/no value`;
}

function optional<Key extends string>(key: Key, value: string | undefined) {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<Key, string>>;
}

/** Fields every item mapping needs; the rest decide the status. */
function baseItem(cell: Cell): Omit<IlsItem, 'status' | 'floating'> | string {
  const barcode = cell('barcode');
  const bibId = cell('bibId');
  const title = cell('title');
  const owner = cell('owner');
  if (barcode === undefined) return 'no item barcode';
  if (bibId === undefined) return 'no bibliographic record id';
  if (title === undefined) return 'no title';
  if (owner === undefined) return 'no owning library';
  return { barcode, bibId, title, owner, ...optional('callNumber', cell('callNumber')) };
}

function withFlags(
  base: Omit<IlsItem, 'status' | 'floating'> | string,
  /** An item status, or why there is none. */
  status: string,
  floating: boolean | string,
): IlsItem | string {
  if (typeof base === 'string') return base;
  if (typeof floating === 'string') return `floating: ${floating}`;
  if (!isItemStatus(status)) return status;
  return { ...base, status, floating };
}

const itemStatusSet = new Set<string>([
  'available',
  'checked_out',
  'in_transit',
  'on_hold_shelf',
  'lost',
  'missing',
  'damaged',
  'withdrawn',
]);
const isItemStatus = (value: string): value is ItemStatus => itemStatusSet.has(value);

/**
 * Koha: a report over `items` joined to `biblio`. Koha has no single status column: withdrawn,
 * lost (authorised values LOST: 4 is "Missing", any other non-zero "lost"), damaged and on
 * loan are flags, checked in that order. Koha floats by circulation rule, not per item, so
 * `floating` is an optional column the report computes (e.g. from a collection code).
 */
const kohaItems: Mapping<IlsItem> = {
  columns: {
    barcode: ['barcode'],
    bibId: ['biblionumber'],
    title: ['title'],
    callNumber: ['itemcallnumber'],
    owner: ['homebranch'],
    withdrawn: ['withdrawn'],
    itemlost: ['itemlost'],
    damaged: ['damaged'],
    onloan: ['onloan'],
    floating: ['floating'],
  },
  required: ['barcode', 'bibId', 'title', 'owner'],
  read(cell) {
    const flags = { withdrawn: flag(cell('withdrawn')), damaged: flag(cell('damaged')) };
    const lost = cell('itemlost');
    let status: string;
    if (typeof flags.withdrawn === 'string') status = `withdrawn: ${flags.withdrawn}`;
    else if (typeof flags.damaged === 'string') status = `damaged: ${flags.damaged}`;
    else if (lost !== undefined && !/^\d+$/.test(lost))
      status = `itemlost "${lost}" is not a number`;
    else if (flags.withdrawn) status = 'withdrawn';
    else if (lost !== undefined && Number(lost) !== 0)
      status = Number(lost) === 4 ? 'missing' : 'lost';
    else if (flags.damaged) status = 'damaged';
    else status = cell('onloan') === undefined ? 'available' : 'checked_out';
    return withFlags(baseItem(cell), status, flag(cell('floating')));
  },
};

/** Evergreen copy statuses (config.copy_status), by id and by name. */
const evergreenStatuses: Readonly<Record<string, ItemStatus>> = {
  available: 'available',
  checkedout: 'checked_out',
  lost: 'lost',
  missing: 'missing',
  inprocess: 'available',
  intransit: 'in_transit',
  reshelving: 'available',
  onholdsshelf: 'on_hold_shelf',
  discardweed: 'withdrawn',
  damaged: 'damaged',
  longoverdue: 'lost',
  lostandpaid: 'lost',
  canceledtransit: 'available',
  '0': 'available',
  '1': 'checked_out',
  '3': 'lost',
  '4': 'missing',
  '5': 'available',
  '6': 'in_transit',
  '7': 'available',
  '8': 'on_hold_shelf',
  '13': 'withdrawn',
  '14': 'damaged',
  '16': 'lost',
  '17': 'lost',
  '18': 'available',
};

/**
 * Evergreen: `asset.copy` with its call number's record and label, owning library (or
 * circulating library) by shortname, the copy status by name or id, and `floating` (the
 * floating group id, or t/f). Statuses with no place in a desk's routing (Bindery, On order,
 * ILL, Cataloging, Reserves) are refused, so they are decided on, not guessed.
 */
const evergreenItems: Mapping<IlsItem> = {
  columns: {
    barcode: ['barcode'],
    bibId: ['record', 'record_id', 'bib_id'],
    title: ['title'],
    callNumber: ['call_number', 'call_number_label'],
    owner: ['owning_lib', 'circ_lib'],
    status: ['status', 'copy_status'],
    floating: ['floating'],
  },
  required: ['barcode', 'bibId', 'title', 'owner', 'status'],
  read(cell) {
    const named = cell('status') ?? '';
    const status =
      evergreenStatuses[headerKey(named)] ?? `copy status "${named}" has no Carrel status`;
    return withFlags(baseItem(cell), status, flag(cell('floating')));
  },
};

/** Symphony current locations that say where an item is rather than which shelf it is on. */
const symphonyLocations: Readonly<Record<string, ItemStatus>> = {
  checkedout: 'checked_out',
  lost: 'lost',
  lostassum: 'lost',
  lostclaim: 'lost',
  lostpaid: 'lost',
  missing: 'missing',
  discard: 'withdrawn',
  withdrawn: 'withdrawn',
  damaged: 'damaged',
  repair: 'damaged',
  intransit: 'in_transit',
  holds: 'on_hold_shelf',
};

/**
 * Symphony: a list-items report (item ID, catalog key, title, call number, library, current
 * location). Symphony keeps status in the current location: the locations above mean a status,
 * any other (a shelving location such as STACKS) means the item is available.
 */
const symphonyItems: Mapping<IlsItem> = {
  columns: {
    barcode: ['item_id', 'barcode'],
    bibId: ['catalog_key', 'cat_key'],
    title: ['title'],
    callNumber: ['call_number'],
    owner: ['library', 'item_library'],
    location: ['current_location'],
    floating: ['floating'],
  },
  required: ['barcode', 'bibId', 'title', 'owner', 'location'],
  read(cell) {
    const status = symphonyLocations[headerKey(cell('location') ?? '')] ?? 'available';
    return withFlags(baseItem(cell), status, flag(cell('floating')));
  },
};

/** Fields every hold mapping reads the same way. */
function baseHold(cell: Cell): Omit<IlsHold, 'status'> | string {
  const ilsId = cell('ilsId');
  const bibId = cell('bibId');
  const patronRef = cell('patronRef');
  const pickupLibrary = cell('pickupLibrary');
  const requested = cell('requested');
  if (ilsId === undefined) return 'no hold id';
  if (bibId === undefined) return 'no bibliographic record id';
  if (patronRef === undefined) return 'no patron reference';
  if (pickupLibrary === undefined) return 'no pickup library';
  if (requested === undefined) return 'no request date';
  return {
    ilsId,
    bibId,
    patronRef,
    pickupLibrary,
    requested,
    ...optional('pullLibrary', cell('pullLibrary')),
    ...optional('shelfName', cell('shelfName')),
    ...optional('captured', cell('captured')),
    ...optional('shelved', cell('shelved')),
    ...optional('expires', cell('expires')),
  };
}

/**
 * Koha: a report over `reserves` (and `old_reserves` for ended ones) with the item's barcode and
 * holding branch. `found` is Koha's hold state: empty pending, P processing (captured), T in
 * transit, W waiting (on the shelf), F filled; a cancellation date ends the hold. A barcode
 * names the requested item when `item_level_hold` is 1 (or, without that column, while the hold
 * is not found), and the captured copy once it is found.
 */
const kohaHolds: Mapping<IlsHold> = {
  columns: {
    ilsId: ['reserve_id'],
    patronRef: ['borrowernumber'],
    bibId: ['biblionumber'],
    barcode: ['barcode'],
    itemLevel: ['item_level_hold'],
    pickupLibrary: ['branchcode'],
    pullLibrary: ['holdingbranch'],
    requested: ['reservedate'],
    found: ['found'],
    shelved: ['waitingdate'],
    expires: ['expirationdate'],
    cancelled: ['cancellationdate'],
    shelfName: ['shelf_name'],
  },
  required: ['ilsId', 'patronRef', 'bibId', 'pickupLibrary', 'requested'],
  read(cell) {
    const base = baseHold(cell);
    if (typeof base === 'string') return base;
    const found = (cell('found') ?? '').toUpperCase();
    const statuses: Record<string, HoldStatus> = {
      '': 'pending',
      P: 'captured',
      T: 'in_transit',
      W: 'on_shelf',
      F: 'fulfilled',
    };
    let status = statuses[found];
    if (status === undefined) return `found "${found}" is not a Koha hold state`;
    if (cell('cancelled') !== undefined) status = 'cancelled';
    const barcode = cell('barcode');
    const itemLevel = flag(cell('itemLevel'));
    if (typeof itemLevel === 'string') return `item_level_hold: ${itemLevel}`;
    const requestedItem = cell('itemLevel') === undefined ? found === '' : itemLevel;
    return {
      ...base,
      status,
      ...(barcode !== undefined && requestedItem ? { itemBarcode: barcode } : {}),
      ...(barcode !== undefined && found !== '' ? { capturedItemBarcode: barcode } : {}),
    };
  },
};

/**
 * Evergreen: `action.hold_request` with the record, the requested and current copies'
 * barcodes, libraries by shortname and the user's holds alias (`usr_alias`) as shelf name.
 * Evergreen keeps state in timestamps: fulfilment, then cancellation, then shelf time, then
 * capture time (in transit when the copy's library is not the pickup library).
 */
const evergreenHolds: Mapping<IlsHold> = {
  columns: {
    ilsId: ['id', 'hold_id'],
    patronRef: ['usr', 'usr_id'],
    bibId: ['bib_record', 'record_id'],
    itemBarcode: ['requested_copy_barcode'],
    capturedItemBarcode: ['current_copy_barcode'],
    pickupLibrary: ['pickup_lib'],
    pullLibrary: ['current_copy_circ_lib', 'pull_lib'],
    requested: ['request_time'],
    captured: ['capture_time'],
    shelved: ['shelf_time'],
    expires: ['shelf_expire_time'],
    fulfilled: ['fulfillment_time'],
    cancelled: ['cancel_time'],
    shelfName: ['usr_alias', 'shelf_name'],
  },
  required: ['ilsId', 'patronRef', 'bibId', 'pickupLibrary', 'requested'],
  read(cell) {
    const base = baseHold(cell);
    if (typeof base === 'string') return base;
    const away = base.pullLibrary !== undefined && base.pullLibrary !== base.pickupLibrary;
    const status: HoldStatus =
      cell('fulfilled') !== undefined
        ? 'fulfilled'
        : cell('cancelled') !== undefined
          ? 'cancelled'
          : base.shelved !== undefined
            ? 'on_shelf'
            : base.captured !== undefined
              ? away
                ? 'in_transit'
                : 'captured'
              : 'pending';
    const captured = cell('capturedItemBarcode');
    return {
      ...base,
      status,
      ...optional('itemBarcode', cell('itemBarcode')),
      ...(captured !== undefined && status !== 'pending' ? { capturedItemBarcode: captured } : {}),
    };
  },
};

/**
 * Symphony: a list-holds report (hold key, user key, catalog key, item ID, pickup and item
 * library, date placed, hold status, available flag, inactive reason). ACTIVE holds are pending,
 * or on the shelf when available; INACTIVE ones ended as their reason says (FILLED, EXPIRED,
 * otherwise cancelled). The item ID is the requested item of a COPY hold and the captured copy
 * of an available or in-transit one.
 */
const symphonyHolds: Mapping<IlsHold> = {
  columns: {
    ilsId: ['hold_key'],
    patronRef: ['user_key'],
    bibId: ['catalog_key', 'cat_key'],
    barcode: ['item_id'],
    holdType: ['hold_type'],
    pickupLibrary: ['pickup_library'],
    pullLibrary: ['item_library'],
    requested: ['date_placed'],
    status: ['hold_status'],
    available: ['available'],
    shelved: ['date_available'],
    expires: ['pickup_by', 'available_expires'],
    reason: ['inactive_reason'],
    shelfName: ['shelf_name'],
  },
  required: ['ilsId', 'patronRef', 'bibId', 'pickupLibrary', 'requested', 'status'],
  read(cell) {
    const base = baseHold(cell);
    if (typeof base === 'string') return base;
    const available = flag(cell('available'));
    if (typeof available === 'string') return `available: ${available}`;
    const named = headerKey(cell('status') ?? '');
    const reason = headerKey(cell('reason') ?? '');
    const ended: Record<string, HoldStatus> = { filled: 'fulfilled', expired: 'expired' };
    const statuses: Record<string, HoldStatus> = {
      active: available ? 'on_shelf' : 'pending',
      available: 'on_shelf',
      intransit: 'in_transit',
      inactive: ended[reason] ?? 'cancelled',
      expired: 'expired',
      cancelled: 'cancelled',
      filled: 'fulfilled',
    };
    const status = statuses[named];
    if (status === undefined) return `hold status "${cell('status') ?? ''}" is not a Symphony one`;
    const barcode = cell('barcode');
    const isCopyHold = headerKey(cell('holdType') ?? '') === 'copy';
    const capturedNow = status === 'on_shelf' || status === 'in_transit';
    return {
      ...base,
      status,
      ...(barcode !== undefined && isCopyHold ? { itemBarcode: barcode } : {}),
      ...(barcode !== undefined && capturedNow ? { capturedItemBarcode: barcode } : {}),
    };
  },
};

export const itemMappings: Readonly<Record<IlsFormat, Mapping<IlsItem>>> = {
  koha: kohaItems,
  evergreen: evergreenItems,
  symphony: symphonyItems,
};

export const holdMappings: Readonly<Record<IlsFormat, Mapping<IlsHold>>> = {
  koha: kohaHolds,
  evergreen: evergreenHolds,
  symphony: symphonyHolds,
};
