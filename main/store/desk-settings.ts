// What a desk knows about itself that is not replicated: its id, its library, and how staff
// sign in. Kept in <dataDir>/desk.json, written atomically (temporary file, fsync, rename)
// so a crash leaves the old settings or the new ones, never half of either.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ulid } from 'ulid';

/**
 * What enrolment with the consortium server gave this desk. The token is a secret: it stays
 * in desk.json, in the per-user data folder that only the desk's own user account may read
 * (Electron's userData), is never logged and never sent anywhere but to `serverUrl`.
 */
export interface DeskSyncSettings {
  /** The server's base URL as staff gave it at enrolment, without a trailing slash. */
  readonly serverUrl: string;
  /** The desk token, sent as `Authorization: Bearer <token>` with every sync request. */
  readonly token: string;
  /** The desk id the server issued (also the settings' `deskId` from enrolment on). */
  readonly deskId: string;
  /** The library the server enrolled this desk for. */
  readonly library: string;
  readonly enrolledAt: string;
  /**
   * The server database's history this desk synced with (shared/sync/wire.ts,
   * HISTORY_HEADER); absent until the first answer that named one.
   */
  readonly history?: string;
  /**
   * Set when the server's history changed under this desk (a restored backup): the history
   * it then synced everything again for. It names the desk's replication, so RxDB starts
   * over from nothing: pulls everything, pushes everything.
   */
  readonly resyncedFor?: string;
  /**
   * Histories this desk left (newest last, at most 10). An answer naming one of them comes
   * from a server instance still running on the old data: ignored, so the desk does not
   * sync everything again, back and forth.
   */
  readonly leftHistories?: readonly string[];
}

export interface DeskSettings {
  /** The desk's own id: a ULID made at first start, replaced by the server's at enrolment. */
  readonly deskId: string;
  /** The member library this desk works for; null until the desk is set up. */
  readonly libraryCode: string | null;
  /** Whether staff need a PIN besides their initials to sign in at this desk. */
  readonly requirePin: boolean;
  /** scrypt hashes of staff PINs by initials (set at a staff member's first sign-in). */
  readonly staffPins: Readonly<Record<string, string>>;
  /**
   * Initials (upper case, as sign-in writes them) of the staff who may edit consortium-wide
   * training notes at this desk. Empty by default: nobody until the desk is told.
   */
  readonly editors: readonly string[];
  /** Set by enrolment: where and as whom this desk syncs. Absent: the desk does not sync. */
  readonly sync?: DeskSyncSettings;
  /** Days the daily backups of the desk database are kept (main/backup); absent: 14. */
  readonly backupRetentionDays?: number;
}

const FILE = 'desk.json';

function defaults(): DeskSettings {
  return { deskId: ulid(), libraryCode: null, requirePin: false, staffPins: {}, editors: [] };
}

function isSettings(value: unknown): value is DeskSettings {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['deskId'] === 'string' &&
    (v['libraryCode'] === null || typeof v['libraryCode'] === 'string') &&
    typeof v['requirePin'] === 'boolean' &&
    typeof v['staffPins'] === 'object' &&
    v['staffPins'] !== null &&
    Array.isArray(v['editors']) &&
    v['editors'].every((initials) => typeof initials === 'string') &&
    (v['sync'] === undefined || isSyncSettings(v['sync'])) &&
    (v['backupRetentionDays'] === undefined || typeof v['backupRetentionDays'] === 'number')
  );
}

function isSyncSettings(value: unknown): value is DeskSyncSettings {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    ['serverUrl', 'token', 'deskId', 'library', 'enrolledAt'].every(
      (key) => typeof v[key] === 'string',
    ) &&
    ['history', 'resyncedFor'].every((key) => v[key] === undefined || typeof v[key] === 'string') &&
    (v['leftHistories'] === undefined ||
      (Array.isArray(v['leftHistories']) &&
        v['leftHistories'].every((history) => typeof history === 'string')))
  );
}

/** Reads the settings, creating them (with a new desk id) on first start. */
export function loadDeskSettings(dataDir: string): DeskSettings {
  const path = join(dataDir, FILE);
  if (!existsSync(path)) {
    const fresh = defaults();
    saveDeskSettings(dataDir, fresh);
    return fresh;
  }
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  // Settings written before a field existed get its default; nothing else is filled in.
  const upgraded =
    typeof parsed === 'object' && parsed !== null && !('editors' in parsed)
      ? { ...parsed, editors: [] }
      : parsed;
  if (!isSettings(upgraded)) throw new Error(`${path} is not a desk settings file`);
  return upgraded;
}

export function saveDeskSettings(dataDir: string, settings: DeskSettings): void {
  const path = join(dataDir, FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, `${JSON.stringify(settings, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** A PIN hash: salt and scrypt digest, so desk.json never holds a PIN. */
export function hashPin(pin: string): string {
  const salt = randomBytes(16);
  return `${salt.toString('base64')}:${scryptSync(pin, salt, 32).toString('base64')}`;
}

export function pinMatches(pin: string, stored: string): boolean {
  const [salt, digest] = stored.split(':');
  if (!salt || !digest) return false;
  const expected = Buffer.from(digest, 'base64');
  const actual = scryptSync(pin, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}
