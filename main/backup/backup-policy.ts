// When the desk backs its database up and which backups it keeps: plain functions of the
// clock and the folder listing, so the rules are tested without waiting a day.

/** Backups are named by the moment they were taken (UTC), so names sort by age. */
const NAME = /^desk-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.sqlite$/;

export const DEFAULT_RETENTION_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

export function backupFileName(takenAt: Date): string {
  const stamp = takenAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `desk-${stamp}.sqlite`;
}

/** When a backup file of ours was taken, or undefined for any other file. */
export function backupTakenAt(fileName: string): Date | undefined {
  const match = NAME.exec(fileName);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** A backup is due when none was taken in the last 24 hours (or the clock went back). */
export function backupIsDue(lastTakenAt: Date | undefined, now: Date): boolean {
  if (lastTakenAt === undefined) return true;
  const age = now.getTime() - lastTakenAt.getTime();
  return age >= DAY_MS || age < 0;
}

/**
 * The backups to delete: those older than `retentionDays`. The newest backup is always
 * kept, however old: a desk that was switched off for a month still has its last one.
 */
export function backupsToRemove(
  takenAt: readonly Date[],
  retentionDays: number,
  now: Date,
): Date[] {
  const newest = Math.max(...takenAt.map((at) => at.getTime()));
  const oldestKept = now.getTime() - retentionDays * DAY_MS;
  return takenAt.filter((at) => at.getTime() < oldestKept && at.getTime() !== newest);
}
