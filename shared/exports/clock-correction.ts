// Check-ins carry the desk's clock offset from the server as sync last measured it
// (`clockOffsetMs`). Exports for the ILS date a check-in by the server's clock when the desk's
// was plainly wrong, since the ILS dates loans and fines by it.
import type { Checkin } from '../schemas/index.js';

/**
 * A desk clock this far off the server's is wrong, not merely imprecise (the offset is
 * measured to about a second): its check-ins are exported at the server's time, which is
 * what the ILS dates loans and fines by.
 */
export const CLOCK_CORRECTION_MS = 60_000;

/** The check-in with its scan time on the server's clock when the desk's clock was wrong. */
export function onServerClock(checkin: Checkin): Checkin {
  const offset = checkin.clockOffsetMs;
  if (offset === undefined || Math.abs(offset) < CLOCK_CORRECTION_MS) return checkin;
  return { ...checkin, scannedAt: new Date(Date.parse(checkin.scannedAt) + offset).toISOString() };
}
