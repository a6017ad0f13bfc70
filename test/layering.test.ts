/**
 * The layering of STYLE.md is enforced by eslint.config.js; this checks that the rules fire
 * (and do not fire on allowed imports), so a careless edit of the config cannot switch them
 * off silently.
 */
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({
  cwd: process.cwd(),
  // Type information is irrelevant to import rules, and the files below do not exist.
  overrideConfig: [{ files: ['**/*.ts', '**/*.tsx'], ...tseslint.configs.disableTypeChecked }],
});

async function importErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

const cases: [file: string, source: string, allowed: boolean][] = [
  ['shared/rules/x.ts', "import { a } from '../other.js';", true],
  ['shared/x.ts', "import { readFileSync } from 'node:fs';", false],
  ['shared/x.ts', "import { startDesk } from '../main/app.js';", false],
  ['shared/x.ts', "import Database from 'better-sqlite3';", false],
  ['main/app.ts', "import { app } from 'electron';", false],
  ['main/index.ts', "import { app } from 'electron';", true],
  ['main/api/ipc-bridge.ts', "import { ipcMain } from 'electron';", true],
  ['main/updates/electron-updater.ts', "import updater from 'electron-updater';", true],
  ['main/updates/electron-updater.ts', "import { app } from 'electron';", false],
  ['main/updates/desk-updates.ts', "import updater from 'electron-updater';", false],
  ['main/app.ts', "import updater from 'electron-updater';", false],
  ['main/app.ts', "import { x } from '../shared/index.js';", true],
  ['main/app.ts', "import { x } from '../server/index.js';", false],
  ['main/app.ts', "import { x } from '../renderer/app.js';", false],
  ['main/checkin/service.ts', "import Database from 'better-sqlite3';", false],
  ['main/checkin/service.ts', "import { x } from 'rxdb/plugins/storage-memory';", false],
  ['main/store/sqlite/file.ts', "import Database from 'better-sqlite3';", true],
  ['main/checkin/service.ts', "import { createDeskDatabase } from '../store/index.js';", true],
  ['main/checkin/service.ts', "import { x } from '../store/desk-database.js';", false],
  ['main/checkin/service.ts', "import { x } from '../store/sqlite/index.js';", false],
  ['renderer/app.tsx', "import { x } from '../main/app.js';", false],
  ['renderer/app.tsx', "import { ipcRenderer } from 'electron';", false],
  ['renderer/app.tsx', "import { x } from '../shared/api.js';", true],
  ['preload/index.ts', "import { x } from '../main/app.js';", false],
  ['preload/index.ts', "import type { CarrelBridge } from '../shared/api.js';", true],
  ['server/app.ts', "import { x } from '../main/app.js';", false],
  ['server/app.ts', "import pg from 'pg';", false],
  ['server/store/pg.ts', "import pg from 'pg';", true],
];

describe('layering rules', () => {
  it.each(cases)('%s: %s (allowed: %s)', async (file, source, allowed) => {
    const errors = await importErrors(file, source);
    if (allowed) expect(errors).toEqual([]);
    else expect(errors.length).toBeGreaterThan(0);
  });
});
