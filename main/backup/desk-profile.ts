// A desk profile as one .zip, to move a desk to another PC or keep it safe off the machine:
// a consistent copy of the desk database (every collection, note attachments included) and
// desk.json. The desk token and staff PIN hashes (4-8 digit PINs are quick to guess from a
// hash) are secrets: they are left out unless staff ask for them, and profile.json says
// which it is. A restore goes into a fresh data folder only, never over a desk.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import {
  copyDatabaseFile,
  databaseFilePath,
  DESK_DATABASE_NAME,
  loadDeskSettings,
  restoreDatabaseFile,
  type DeskSettings,
} from '../store/index.js';
import { writeFileAtomically } from './files.js';

const PROFILE_FORMAT = 1;
const DATABASE_ENTRY = 'desk.sqlite';
const SETTINGS_ENTRY = 'desk.json';
const MANIFEST_ENTRY = 'profile.json';

export interface ProfileManifest {
  readonly format: number;
  readonly app: string;
  readonly deskId: string;
  readonly libraryCode: string | null;
  readonly exportedAt: string;
  /** Whether desk.json carries the desk token and staff PIN hashes. */
  readonly secretsIncluded: boolean;
}

/** A profile that cannot be restored; nothing was written. */
export class ProfileError extends Error {
  constructor(
    readonly code: 'profile_unreadable' | 'profile_target_in_use',
    message: string,
  ) {
    super(message);
    this.name = 'ProfileError';
  }
}

/**
 * desk.json without the token and PIN hashes; the enrolment goes with the token. Fields are
 * named one by one, so a secret added to the settings later stays out until listed here.
 */
export function settingsWithoutSecrets(settings: DeskSettings): DeskSettings {
  return {
    deskId: settings.deskId,
    libraryCode: settings.libraryCode,
    requirePin: settings.requirePin,
    staffPins: {},
    editors: settings.editors,
    ...(settings.backupRetentionDays === undefined
      ? {}
      : { backupRetentionDays: settings.backupRetentionDays }),
  };
}

export async function exportProfile(options: {
  dataDir: string;
  settings: DeskSettings;
  version: string;
  includeSecrets: boolean;
  nativeBinding?: string | undefined;
  now?: Date;
}): Promise<{ fileName: string; bytes: Uint8Array; manifest: ProfileManifest }> {
  const work = mkdtempSync(join(tmpdir(), 'carrel-profile-'));
  try {
    const copy = join(work, DATABASE_ENTRY);
    await copyDatabaseFile(databaseFilePath(options.dataDir, DESK_DATABASE_NAME), copy, {
      nativeBinding: options.nativeBinding,
    });
    const exportedAt = (options.now ?? new Date()).toISOString();
    const manifest: ProfileManifest = {
      format: PROFILE_FORMAT,
      app: options.version,
      deskId: options.settings.deskId,
      libraryCode: options.settings.libraryCode,
      exportedAt,
      secretsIncluded: options.includeSecrets,
    };
    const settings = options.includeSecrets
      ? options.settings
      : settingsWithoutSecrets(options.settings);
    const bytes = zipSync({
      [MANIFEST_ENTRY]: strToU8(`${JSON.stringify(manifest, null, 2)}\n`),
      [SETTINGS_ENTRY]: strToU8(`${JSON.stringify(settings, null, 2)}\n`),
      [DATABASE_ENTRY]: [readFileSync(copy), { level: 6 }],
    });
    const stamp = exportedAt.slice(0, 19).replace(/[-:]/g, '');
    const who = options.settings.libraryCode ?? 'desk';
    return { fileName: `carrel-profile-${who}-${stamp}.zip`, bytes, manifest };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Restores a profile into `dataDir`, which must hold no desk yet (missing or without a
 * database and desk.json). The database is checked before anything is written.
 */
export function restoreProfile(
  zip: Uint8Array,
  dataDir: string,
  options: { nativeBinding?: string | undefined } = {},
): ProfileManifest {
  if (
    existsSync(databaseFilePath(dataDir, DESK_DATABASE_NAME)) ||
    existsSync(join(dataDir, SETTINGS_ENTRY))
  ) {
    throw new ProfileError(
      'profile_target_in_use',
      `${dataDir} holds a desk already; restore a profile into an empty folder.`,
    );
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (error) {
    throw new ProfileError('profile_unreadable', `not a profile .zip: ${(error as Error).message}`);
  }
  const manifestBytes = entries[MANIFEST_ENTRY];
  const settingsBytes = entries[SETTINGS_ENTRY];
  const database = entries[DATABASE_ENTRY];
  if (!manifestBytes || !settingsBytes || !database) {
    throw new ProfileError('profile_unreadable', 'the .zip is not a Carrel desk profile.');
  }
  const manifest = JSON.parse(strFromU8(manifestBytes)) as ProfileManifest;
  if (manifest.format !== PROFILE_FORMAT) {
    throw new ProfileError(
      'profile_unreadable',
      `unknown profile format ${String(manifest.format)}`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'carrel-profile-'));
  try {
    const copy = join(work, DATABASE_ENTRY);
    writeFileAtomically(copy, database);
    // Checked here: a damaged database stops the restore before desk.json is written.
    try {
      restoreDatabaseFile(copy, databaseFilePath(dataDir, DESK_DATABASE_NAME), options);
    } catch (error) {
      throw new ProfileError('profile_unreadable', (error as Error).message);
    }
    writeFileAtomically(join(dataDir, SETTINGS_ENTRY), settingsBytes);
    // The settings are read as the desk will read them: a bad desk.json fails here, not at
    // the next start, and the folder is left empty again.
    try {
      loadDeskSettings(dataDir);
    } catch (error) {
      rmSync(join(dataDir, SETTINGS_ENTRY), { force: true });
      rmSync(databaseFilePath(dataDir, DESK_DATABASE_NAME), { force: true });
      throw new ProfileError('profile_unreadable', `desk.json: ${(error as Error).message}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return manifest;
}
