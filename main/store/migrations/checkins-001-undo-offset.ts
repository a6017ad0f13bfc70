// checkins v0 -> v1: a check-in may carry the desk's clock offset when it was scanned
// (`clockOffsetMs`), the time staff undid it (`voidedAt`) and, for a routing made again after
// sync showed a lost hold capture, the check-in it re-routes (`rerouteOf`).
//
// All three are optional and no v0 check-in has any of them (v0 desks could not record
// them), so every v0 row is a valid v1 row as it stands: this step changes nothing, not even
// `updatedAt`, because migrating is not an edit and check-ins are append-only.
//
// This file is frozen once released.
import type { Checkin, CheckinV0 } from '../../../shared/index.js';

/** RxDB migration strategy to checkins schema version 1 (registered under key 1). */
export function migrateCheckinToV1(checkin: CheckinV0): Checkin {
  return checkin;
}
