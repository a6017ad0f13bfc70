// How a courier crate's status moves, what a desk may do with a crate in each status, and
// what receipt found against the sealed manifest. A crate only moves forward:
// open -> sealed -> received -> closed. Sealing fixes the manifest, so nothing is added or
// removed after it; receipt scans continue until the destination closes the crate with its
// discrepancies.
import type { Crate, CrateStatus } from '../schemas/crates.js';
import { sameValue } from './same-value.js';

/** What a desk does with a crate: pack an item, take one out, scan one on receipt, seal, close. */
export const crateActions = ['add', 'remove', 'receive', 'seal', 'close'] as const;
export type CrateAction = (typeof crateActions)[number];

/** The one move out of each status; closed is the end. */
const nextCrateStatus: Readonly<Record<CrateStatus, CrateStatus | undefined>> = {
  open: 'sealed',
  sealed: 'received',
  received: 'closed',
  closed: undefined,
};

/**
 * The statuses each action is allowed in. Receipt scans start on a sealed crate (the first
 * one marks it received) and go on while it is received; a crate is closed only once
 * receipt has begun, so its discrepancies are known.
 */
const actionStatuses: Readonly<Record<CrateAction, readonly CrateStatus[]>> = {
  add: ['open'],
  remove: ['open'],
  seal: ['open'],
  receive: ['sealed', 'received'],
  close: ['received'],
};

/** Whether a crate may move from one status to another: one step forward, never back. */
export function canMoveCrate(from: CrateStatus, to: CrateStatus): boolean {
  return nextCrateStatus[from] === to;
}

/** How far along each status is: the order of the one way a crate moves. */
const crateProgress: Readonly<Record<CrateStatus, number>> = {
  open: 0,
  sealed: 1,
  received: 2,
  closed: 3,
};

/**
 * The status a crate ends up with when two desks changed it apart: the further one. A crate
 * never moves back, so the further status is the one that happened last. Commutative,
 * associative and idempotent.
 */
export function mergeCrateStates(a: CrateStatus, b: CrateStatus): CrateStatus {
  return crateProgress[b] > crateProgress[a] ? b : a;
}

/**
 * One crate after a desk and the server changed it apart (the replication's conflict): the
 * desk's version `desk`, the server's `server`. The version with the further status wins
 * whole, counts and discrepancies included (they are what that later step recorded); of two
 * versions in the same status, the one written later (`updatedAt`; the server's on a tie).
 * A step time (`sealedAt`, `receivedAt`, `closedAt`) the winner lacks is taken from the other
 * version, so no step is forgotten. The answer is exactly `server` when that changes nothing
 * on it; otherwise it is this desk's write (`deskId` the desk's, `updatedAt` the later).
 */
export function mergeCrateVersions(desk: Crate, server: Crate): Crate {
  const status = mergeCrateStates(desk.status, server.status);
  const winner =
    desk.status !== server.status
      ? status === desk.status
        ? desk
        : server
      : desk.updatedAt > server.updatedAt
        ? desk
        : server;
  const other = winner === desk ? server : desk;
  const merged: Crate = { ...winner };
  for (const step of ['sealedAt', 'receivedAt', 'closedAt'] as const) {
    const at = winner[step] ?? other[step];
    if (at !== undefined) merged[step] = at;
  }
  if (sameValue(merged, server)) return server;
  return {
    ...merged,
    updatedAt: desk.updatedAt > server.updatedAt ? desk.updatedAt : server.updatedAt,
    deskId: desk.deskId,
  };
}

/** Whether a desk may do `action` with a crate in `status`. */
export function crateActionAllowed(status: CrateStatus, action: CrateAction): boolean {
  return actionStatuses[action].includes(status);
}

/** What receipt found against the manifest; every list holds each barcode once. */
export type ReceiptDiff = {
  /** On the manifest, never scanned: in manifest order. */
  missing: string[];
  /** Scanned, not on the manifest: in the order first scanned. */
  extra: string[];
  /** Scanned more than once, on the manifest or not: in the order first scanned. */
  duplicates: string[];
  /** On the manifest and scanned: in the order first scanned. */
  received: string[];
};

/**
 * Compares the barcodes scanned on receipt (in scan order, repeats and all) with the sealed
 * manifest's. Barcodes are compared exactly: both sides come from `cleanScan`. A repeated
 * scan is reported as a duplicate and otherwise counts once, so staff scanning an item twice
 * neither hides a missing item nor invents an extra one.
 */
export function receiptDiff(expected: readonly string[], scanned: readonly string[]): ReceiptDiff {
  const manifest = new Set(expected);
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const extra: string[] = [];
  const received: string[] = [];
  // Duplicates are listed by their first scan, not by the repeat, so collect the barcodes
  // first and order them afterwards.
  for (const barcode of scanned) {
    if (seen.has(barcode)) {
      duplicates.add(barcode);
      continue;
    }
    seen.add(barcode);
    (manifest.has(barcode) ? received : extra).push(barcode);
  }
  return {
    missing: [...manifest].filter((barcode) => !seen.has(barcode)),
    extra,
    duplicates: [...seen].filter((barcode) => duplicates.has(barcode)),
    received,
  };
}
