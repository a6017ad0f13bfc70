// The desk's own backups: a copy of the desk database once a day (SQLite's online backup,
// main/store), kept for the days desk.json says, in <dataDir>/backups/. Putting one back
// happens at the next start, before the database opens: a running desk never has its file
// swapped under it, and the file it replaces is set aside, not deleted.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  copyDatabaseFile,
  DatabaseCopyError,
  databaseFilePath,
  DESK_DATABASE_NAME,
  restoreDatabaseFile,
} from '../store/index.js';
import {
  backupFileName,
  backupIsDue,
  backupsToRemove,
  backupTakenAt,
  DEFAULT_RETENTION_DAYS,
} from './backup-policy.js';
import { writeFileAtomically } from './files.js';

export const BACKUP_FOLDER = 'backups';
/** Names the backup to put back at the next start (written by `requestRestore`). */
const RESTORE_REQUEST = 'restore-request.json';
/** How often the daily schedule looks whether a backup is due. */
const CHECK_EVERY_MS = 60 * 60 * 1000;
/** The first look waits until the desk has started (sync's first pull, the first scans). */
const FIRST_CHECK_AFTER_MS = 2 * 60 * 1000;

export interface DeskBackupInfo {
  readonly fileName: string;
  readonly takenAt: string;
  readonly bytes: number;
}

export interface DeskBackupsOptions {
  readonly dataDir: string;
  readonly nativeBinding?: string | undefined;
  /** Read at each pruning, so a change to desk.json applies without a restart. */
  readonly retentionDays: () => number | undefined;
  readonly now?: () => Date;
  readonly log: (line: string) => void;
}

export interface DeskBackups {
  /** Backs the database up now (one at a time: a second call joins the running one). */
  takeBackup(): Promise<DeskBackupInfo>;
  /** The backups in the folder, newest first. */
  list(): DeskBackupInfo[];
  /** Backs up if the last backup is a day old or more; prunes old backups either way. */
  backUpIfDue(): Promise<DeskBackupInfo | undefined>;
  /** Checks every hour (first two minutes after start) whether a backup is due. */
  startDaily(): () => void;
  /** Resolves when no backup is being taken (the desk closes its database after this). */
  idle(): Promise<void>;
  /** Puts `fileName` back as the desk database at the next start. */
  requestRestore(fileName: string): void;
}

/** desk.json's setting as whole days, at least one; the default when unset or not a number. */
function retentionDays(setting: number | undefined): number {
  if (setting === undefined || !Number.isFinite(setting)) return DEFAULT_RETENTION_DAYS;
  return Math.max(1, Math.floor(setting));
}

export function createDeskBackups(options: DeskBackupsOptions): DeskBackups {
  const folder = join(options.dataDir, BACKUP_FOLDER);
  const now = options.now ?? (() => new Date());
  let running: Promise<DeskBackupInfo> | undefined;

  function list(): DeskBackupInfo[] {
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch (error) {
      // No folder yet (no backup taken), or something else in its place: no backups.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw error;
    }
    return names
      .flatMap((fileName) => {
        const takenAt = backupTakenAt(fileName);
        if (!takenAt) return [];
        return [
          {
            fileName,
            takenAt: takenAt.toISOString(),
            bytes: statSync(join(folder, fileName)).size,
          },
        ];
      })
      .sort((a, b) => b.fileName.localeCompare(a.fileName));
  }

  function prune(): void {
    const kept = list();
    const retention = retentionDays(options.retentionDays());
    const remove = backupsToRemove(
      kept.map((backup) => new Date(backup.takenAt)),
      retention,
      now(),
    ).map((at) => backupFileName(at));
    for (const fileName of remove) {
      rmSync(join(folder, fileName), { force: true });
      options.log(`backup: removed ${fileName} (older than ${retention} days)`);
    }
  }

  async function take(): Promise<DeskBackupInfo> {
    mkdirSync(folder, { recursive: true });
    const fileName = backupFileName(now());
    const path = join(folder, fileName);
    const takenAt = (backupTakenAt(fileName) ?? now()).toISOString();
    // Names have whole seconds: a second backup within the same second is the first one.
    if (existsSync(path)) return { fileName, takenAt, bytes: statSync(path).size };
    const copy = await copyDatabaseFile(
      databaseFilePath(options.dataDir, DESK_DATABASE_NAME),
      path,
      { nativeBinding: options.nativeBinding },
    );
    options.log(`backup: ${fileName} taken (${copy.bytes} bytes, ${copy.restarts} restarts)`);
    prune();
    return { fileName, takenAt, bytes: copy.bytes };
  }

  const backups: DeskBackups = {
    takeBackup() {
      running ??= take().finally(() => {
        running = undefined;
      });
      return running;
    },
    list,
    async backUpIfDue() {
      const newest = list()[0];
      if (!backupIsDue(newest ? new Date(newest.takenAt) : undefined, now())) {
        prune();
        return undefined;
      }
      return backups.takeBackup();
    },
    startDaily() {
      const check = () => {
        backups.backUpIfDue().catch((error: unknown) => {
          options.log(`backup: the daily backup failed: ${(error as Error).message}`);
        });
      };
      let timer = setTimeout(() => {
        check();
        timer = setInterval(check, CHECK_EVERY_MS);
        timer.unref();
      }, FIRST_CHECK_AFTER_MS);
      timer.unref();
      return () => clearTimeout(timer);
    },
    async idle() {
      await running?.catch(() => undefined);
    },
    requestRestore(fileName) {
      if (!backupTakenAt(fileName) || !existsSync(join(folder, fileName))) {
        throw new DatabaseCopyError(`there is no backup called ${fileName}`);
      }
      writeFileAtomically(
        join(options.dataDir, RESTORE_REQUEST),
        `${JSON.stringify({ fileName, requestedAt: now().toISOString() })}\n`,
      );
    },
  };
  return backups;
}

export type PendingRestore =
  | { readonly restored: string; readonly setAsideAt: string | undefined }
  | { readonly failed: string; readonly reason: string };

/**
 * At start, before the database opens: puts back the backup `requestRestore` named, if any.
 * The request is used once; a backup that is missing or damaged changes nothing and is
 * reported, and the desk starts on its current database.
 */
export function applyPendingRestore(
  dataDir: string,
  options: { nativeBinding?: string | undefined; now?: Date } = {},
): PendingRestore | undefined {
  const requestPath = join(dataDir, RESTORE_REQUEST);
  if (!existsSync(requestPath)) return undefined;
  let fileName = '(unreadable request)';
  try {
    const request = JSON.parse(readFileSync(requestPath, 'utf8')) as { fileName?: unknown };
    if (typeof request.fileName !== 'string' || !backupTakenAt(request.fileName)) {
      throw new DatabaseCopyError('the restore request names no backup');
    }
    fileName = request.fileName;
    const setAsideAt = restoreDatabaseFile(
      join(dataDir, BACKUP_FOLDER, fileName),
      databaseFilePath(dataDir, DESK_DATABASE_NAME),
      options,
    );
    return { restored: fileName, setAsideAt };
  } catch (error) {
    return { failed: fileName, reason: (error as Error).message };
  } finally {
    rmSync(requestPath, { force: true });
  }
}
