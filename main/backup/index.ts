// The desk's data safety: daily backups of the desk database and putting one back, profile
// export and restore, the support bundle, the log file they read, and the `maintenance`
// handlers of the desk API.
export { createDeskBackups, applyPendingRestore, BACKUP_FOLDER } from './desk-backups.js';
export type { DeskBackups, DeskBackupsOptions, PendingRestore } from './desk-backups.js';
export {
  backupFileName,
  backupIsDue,
  backupsToRemove,
  backupTakenAt,
  DEFAULT_RETENTION_DAYS,
} from './backup-policy.js';
export {
  exportProfile,
  restoreProfile,
  settingsWithoutSecrets,
  ProfileError,
} from './desk-profile.js';
export type { ProfileManifest } from './desk-profile.js';
export { supportBundle } from './support-bundle.js';
export { createDeskLog, deskLogFiles, LOG_FOLDER, LOG_FILE } from './desk-log.js';
export { maintenanceHandlers, maintenanceWithoutDataFolder } from './maintenance-handlers.js';
export type { MaintenanceParts } from './maintenance-handlers.js';
