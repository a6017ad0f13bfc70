// How a hold's status may move, and how two desks' versions of one hold are merged after
// they worked offline. Holds only move forward: pending -> captured -> in_transit ->
// on_shelf -> fulfilled, with captured -> on_shelf for a copy captured at the pickup library
// itself, and cancelled or expired ending a hold from any state that has not ended.
import type { Hold, HoldStatus } from '../schemas/holds.js';
import { sameValue } from './same-value.js';

/**
 * The moves a desk may make. pending -> in_transit is missing on purpose: a copy is
 * captured for the hold (and the capture recorded) before it is shipped for it.
 */
const holdMoves: Readonly<Record<HoldStatus, readonly HoldStatus[]>> = {
  pending: ['captured', 'cancelled', 'expired'],
  captured: ['in_transit', 'on_shelf', 'cancelled', 'expired'],
  in_transit: ['on_shelf', 'cancelled', 'expired'],
  on_shelf: ['fulfilled', 'cancelled', 'expired'],
  fulfilled: [],
  cancelled: [],
  expired: [],
};

/**
 * How far along each status is; of two versions of a hold the further one wins. Every end
 * beats every state that has not ended. Between ends: fulfilled beats cancelled, because a
 * fulfilled hold's item really left with the patron, and a cancellation or expiry recorded
 * elsewhere cannot bring it back to a shelf (believing it would send staff hunting for a book
 * that is gone). Cancelled beats expired, because a cancellation is someone's decision while
 * an expiry is a conclusion from the calendar, drawn by a desk whose clock may be wrong; both
 * release the item alike, so the order matters for the record and the reports only.
 */
const holdProgress: Readonly<Record<HoldStatus, number>> = {
  pending: 0,
  captured: 1,
  in_transit: 2,
  on_shelf: 3,
  expired: 4,
  cancelled: 5,
  fulfilled: 6,
};

/** Whether a desk may move a hold from one status to another. Staying put is not a move. */
export function canMoveHold(from: HoldStatus, to: HoldStatus): boolean {
  return holdMoves[from].includes(to);
}

/** Whether the hold is over (fulfilled, cancelled or expired): nothing moves it again. */
export function isHoldEnded(status: HoldStatus): boolean {
  return holdMoves[status].length === 0;
}

/**
 * The status a hold ends up with when two desks changed it apart: the one further along
 * (see `holdProgress`). Commutative, associative and idempotent, so every desk and the
 * server reach the same status whatever order the changes arrive in.
 */
export function mergeHoldStates(a: HoldStatus, b: HoldStatus): HoldStatus {
  return holdProgress[b] > holdProgress[a] ? b : a;
}

/** One desk's claim to have captured a copy for a hold. */
export type CaptureClaim = { capturedAt?: string; deskId: string };

/**
 * Of two desks that each captured a copy for the same hold while offline, the one that keeps
 * it: the earlier `capturedAt` (ISO instants of one width, so string order is time order),
 * then the lower `deskId`, so every desk picks the same winner. A claim without a time loses
 * to one with a time. Two claims alike in both are the same capture; the first is returned.
 */
export function earlierCapture<Claim extends CaptureClaim>(a: Claim, b: Claim): Claim {
  if (a.capturedAt !== b.capturedAt) {
    if (a.capturedAt === undefined) return b;
    if (b.capturedAt === undefined) return a;
    return b.capturedAt < a.capturedAt ? b : a;
  }
  return b.deskId < a.deskId ? b : a;
}

/**
 * Fields the consortium server owns on a hold (the ILS creates them); a desk's version never
 * changes them, so a merge takes them from the server's version.
 */
const serverOwnedHoldFields = [
  'bibId',
  'itemBarcode',
  'pickupLibrary',
  'pullLibrary',
  'requestedAt',
] as const satisfies readonly (keyof Hold)[];

/** Whether a version of a hold records a captured copy. */
function hasCapture(hold: Hold): boolean {
  return hold.capturedAt !== undefined || hold.capturedItemBarcode !== undefined;
}

/** Sets `key` on `target` to `value`, or removes it when `value` is undefined. */
function setOrRemove<K extends keyof Hold>(target: Hold, key: K, value: Hold[K] | undefined) {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

/**
 * One hold after a desk and the server changed it apart (the replication's conflict): the
 * desk's version `desk`, the server's `server`.
 * - Status: the further one (`mergeHoldStates`), so a hold never moves back.
 * - Capture (`capturedAt`, `capturedItemBarcode`): of two captures the earlier wins
 *   (`earlierCapture`: then the lower desk id); a capture on one side only is kept.
 * - Shelf fields (`shelvedAt`, `expiresOn`) come with the status: from the side whose status
 *   won, else from the other side.
 * - Patron fields (`patronRef`, `shelfName`): from the server while the hold is open; once it
 *   has ended, from the side that ended it (which may have removed them).
 * - Everything the server owns (bib, requested item, libraries, request time) is the server's.
 * The answer is exactly `server` when the merge changes nothing on it; otherwise it is this
 * desk's write: `deskId` the desk's, `updatedAt` the later of the two.
 */
export function mergeHoldVersions(desk: Hold, server: Hold): Hold {
  const status = mergeHoldStates(desk.status, server.status);
  const statusSide = status === server.status ? server : desk;
  const otherSide = statusSide === server ? desk : server;
  const merged: Hold = { ...server, status };
  for (const key of serverOwnedHoldFields) setOrRemove(merged, key, server[key]);

  const captured =
    hasCapture(desk) && hasCapture(server)
      ? earlierCapture(server, desk)
      : hasCapture(desk)
        ? desk
        : server;
  setOrRemove(merged, 'capturedAt', captured.capturedAt);
  setOrRemove(merged, 'capturedItemBarcode', captured.capturedItemBarcode);
  setOrRemove(merged, 'shelvedAt', statusSide.shelvedAt ?? otherSide.shelvedAt);
  setOrRemove(merged, 'expiresOn', statusSide.expiresOn ?? otherSide.expiresOn);
  const patronSide = isHoldEnded(status) ? statusSide : server;
  setOrRemove(merged, 'patronRef', patronSide.patronRef);
  setOrRemove(merged, 'shelfName', patronSide.shelfName);

  if (sameValue(merged, server)) return server;
  return {
    ...merged,
    updatedAt: desk.updatedAt > server.updatedAt ? desk.updatedAt : server.updatedAt,
    deskId: desk.deskId,
  };
}
