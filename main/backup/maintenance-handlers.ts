// The `maintenance` capability of the desk API: backups, profile export, support bundle and
// the update status, over the desk's data folder.
import { fail, ok } from '../../shared/index.js';
import type { DeskHandlers, SyncStatus, UpdateStatus, ZipDocument } from '../../shared/index.js';
import type { DeskContext } from '../context.js';
import type { DeskBackups } from './desk-backups.js';
import { exportProfile } from './desk-profile.js';
import { supportBundle } from './support-bundle.js';

export interface MaintenanceParts {
  readonly dataDir: string;
  readonly backups: DeskBackups;
  readonly syncStatus: () => SyncStatus;
  readonly updateStatus: () => UpdateStatus;
  readonly nativeBinding?: string | undefined;
  readonly log: (line: string) => void;
}

function zip(fileName: string, bytes: Uint8Array): ZipDocument {
  return { fileName, mimeType: 'application/zip', base64: Buffer.from(bytes).toString('base64') };
}

const COPY_FAILED =
  'The desk database could not be copied (is the disk full?). Nothing was changed; the log has the detail.';

export function maintenanceHandlers(
  ctx: DeskContext,
  parts: MaintenanceParts,
): DeskHandlers['maintenance'] {
  return {
    backupNow: async () => {
      try {
        return ok(await parts.backups.takeBackup());
      } catch (error) {
        parts.log(`backup: failed: ${(error as Error).message}`);
        return fail('backup_failed', COPY_FAILED);
      }
    },
    backups: () => ok(parts.backups.list()),
    exportProfile: async (args) => {
      try {
        const profile = await exportProfile({
          dataDir: parts.dataDir,
          settings: ctx.settings(),
          version: ctx.version,
          includeSecrets: args.includeSecrets ?? false,
          nativeBinding: parts.nativeBinding,
          now: ctx.now(),
        });
        parts.log(
          `profile: exported${profile.manifest.secretsIncluded ? ' with the desk token and PIN hashes' : ''}`,
        );
        return ok(zip(profile.fileName, profile.bytes));
      } catch (error) {
        parts.log(`profile: export failed: ${(error as Error).message}`);
        return fail('backup_failed', COPY_FAILED);
      }
    },
    supportBundle: async () => {
      const bundle = await supportBundle(ctx, {
        dataDir: parts.dataDir,
        sync: parts.syncStatus(),
        updates: parts.updateStatus(),
        backups: parts.backups.list(),
      });
      return ok(zip(bundle.fileName, bundle.bytes));
    },
    updateStatus: () => ok(parts.updateStatus()),
  } satisfies DeskHandlers['maintenance'];
}

/** For a desk built without a data folder (tests of other capabilities). */
export const maintenanceWithoutDataFolder = {
  backupNow: () => fail('internal', 'This desk has no data folder to back up.'),
  backups: () => ok([]),
  exportProfile: () => fail('internal', 'This desk has no data folder to export.'),
  supportBundle: () => fail('internal', 'This desk has no data folder.'),
  updateStatus: () => fail('internal', 'This desk has no updater.'),
} satisfies DeskHandlers['maintenance'];
