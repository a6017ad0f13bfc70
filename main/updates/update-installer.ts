// Carries out the update policy: backs up when it says so, and installs only once the
// policy, asked again with that backup, says install. A failed backup means no install.
// Plain Node; the Electron adapter hands in electron-updater's quitAndInstall.
import type { UpdateDecision } from '../../shared/index.js';
import { decideUpdate, type UpdateFacts } from './update-policy.js';

export interface UpdateInstallParts {
  /** Everything the policy needs but the backup time and the clock. */
  readonly facts: () => Omit<UpdateFacts, 'lastBackupAt' | 'now'>;
  /** When the newest backup was taken (null: none). */
  readonly lastBackupAt: () => Date | null;
  readonly takeBackup: () => Promise<unknown>;
  /** Restarts into the new version (electron-updater's quitAndInstall). */
  readonly install: () => void;
  readonly now?: () => Date;
  readonly log: (line: string) => void;
}

export async function installWhenSafe(parts: UpdateInstallParts): Promise<UpdateDecision> {
  const now = parts.now ?? (() => new Date());
  const decide = () =>
    decideUpdate({ ...parts.facts(), lastBackupAt: parts.lastBackupAt(), now: now() });
  let decision = decide();
  if (decision.action === 'back-up-then-install') {
    try {
      await parts.takeBackup();
    } catch (error) {
      const reason = `The backup before the update failed (${(error as Error).message}); the update waits.`;
      parts.log(`update: ${reason}`);
      return { action: 'wait', reason };
    }
    decision = decide();
  }
  if (decision.action === 'install') {
    parts.log(`update: installing (${decision.reason})`);
    parts.install();
  }
  return decision;
}
