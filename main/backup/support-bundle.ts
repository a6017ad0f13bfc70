// The support bundle: what the consortium's support needs to see why a desk misbehaves, in
// one .zip, and nothing about patrons (DOMAIN.md: never in logs or support bundles). The
// settings lose the token and PIN hashes; the logs lose every patron reference, shelf name
// and held item's barcode the desk holds, should any line ever have carried one.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { deskCollectionNames } from '../../shared/index.js';
import type { DeskBackup, SyncStatus, UpdateStatus } from '../../shared/index.js';
import type { DeskContext } from '../context.js';
import { deskLogFiles } from './desk-log.js';

const REMOVED = '[removed]';

/** The strings no bundle may carry: from every hold the desk knows. */
async function patronStrings(ctx: DeskContext): Promise<string[]> {
  const holds = await ctx.store.db.holds.find().exec();
  const found = new Set<string>();
  for (const hold of holds) {
    for (const value of [
      hold.patronRef,
      hold.shelfName,
      hold.itemBarcode,
      hold.capturedItemBarcode,
    ]) {
      // Very short values (a one-letter shelf name) would blank out ordinary words.
      if (typeof value === 'string' && value.trim().length >= 3) found.add(value.trim());
    }
  }
  // Longest first, so a value containing another is removed whole.
  return [...found].sort((a, b) => b.length - a.length);
}

export function scrub(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) clean = clean.split(secret).join(REMOVED);
  return clean;
}

export async function supportBundle(
  ctx: DeskContext,
  parts: {
    dataDir: string;
    sync: SyncStatus;
    updates: UpdateStatus;
    backups: readonly DeskBackup[];
  },
): Promise<{ fileName: string; bytes: Uint8Array }> {
  const now = ctx.now();
  const secrets = await patronStrings(ctx);
  const settings = ctx.settings();
  const counts: Record<string, number> = {};
  for (const name of deskCollectionNames) {
    counts[name] = await ctx.store.db[name].count().exec();
  }
  const about = {
    createdAt: now.toISOString(),
    app: ctx.version,
    versions: process.versions,
    platform: process.platform,
    arch: process.arch,
  };
  const redactedSettings = {
    deskId: settings.deskId,
    libraryCode: settings.libraryCode,
    requirePin: settings.requirePin,
    staffWithPin: Object.keys(settings.staffPins).length,
    editors: settings.editors,
    backupRetentionDays: settings.backupRetentionDays ?? null,
    sync: settings.sync
      ? {
          serverUrl: settings.sync.serverUrl,
          deskId: settings.sync.deskId,
          library: settings.sync.library,
          enrolledAt: settings.sync.enrolledAt,
          token: REMOVED,
        }
      : null,
  };
  const json = (value: unknown) => strToU8(`${scrub(JSON.stringify(value, null, 2), secrets)}\n`);
  const files: Record<string, Uint8Array> = {
    'about.json': json(about),
    'settings.json': json(redactedSettings),
    'counts.json': json(counts),
    'sync-status.json': json(parts.sync),
    'update-status.json': json(parts.updates),
    'backups.json': json(parts.backups),
  };
  for (const file of deskLogFiles(parts.dataDir)) {
    files[`logs/${basename(file)}`] = strToU8(scrub(readFileSync(file, 'utf8'), secrets));
  }
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '');
  return {
    fileName: `carrel-support-${settings.libraryCode ?? 'desk'}-${stamp}.zip`,
    bytes: zipSync(files, { level: 6 }),
  };
}
