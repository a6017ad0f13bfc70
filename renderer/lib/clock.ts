// When the desk's clock is wrong enough to matter: check-in times and hold-shelf expiry are
// read off it, and DOMAIN.md lists "a wrong PC clock trusted blindly" among the failures of
// offline circulation.
import { formatAge } from './format.js';

/** Further off than this, staff are told to fix the clock. */
export const CLOCK_WARNING_MS = 2 * 60_000;

/**
 * The warning for a measured offset (the server's clock minus the desk's), or null when the
 * clock is close enough or the offset is not known yet.
 */
export function clockWarning(offsetMs: number | null): string | null {
  if (offsetMs === null || Math.abs(offsetMs) <= CLOCK_WARNING_MS) return null;
  const direction = offsetMs > 0 ? 'behind' : 'ahead of';
  return `This computer's clock is ${formatAge(Math.abs(offsetMs) / 1000)} ${direction} the consortium server: fix the clock.`;
}
