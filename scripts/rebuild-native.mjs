// postinstall: builds a copy of better-sqlite3 for Electron's ABI, next to (not instead of)
// the one built for Node, so that `npm start` (Electron) and `npm test` (Node) both work on
// a developer's machine. The Electron copy goes to node_modules/.carrel-electron/ and the
// main process loads it through better-sqlite3's `nativeBinding` option (see
// main/native-binding.ts). Packaged apps need none of this: electron-builder rebuilds the
// app's own node_modules for Electron.
//
// Where the Electron binary is absent (build and CI machines install with
// ELECTRON_SKIP_BINARY_DOWNLOAD=1) it does nothing.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { electronVersion, findElectronBinary } from './electron-binary.mjs';

const require = createRequire(import.meta.url);

if (!findElectronBinary()) {
  console.log('carrel: Electron binary not installed; better-sqlite3 stays built for Node only.');
  process.exit(0);
}

const sourceDir = dirname(require.resolve('better-sqlite3/package.json'));
const { version } = JSON.parse(readFileSync(join(sourceDir, 'package.json'), 'utf8'));
const buildRoot = join(process.cwd(), 'node_modules', '.carrel-electron');
const copyDir = join(buildRoot, 'node_modules', 'better-sqlite3');

rmSync(buildRoot, { recursive: true, force: true });
mkdirSync(dirname(copyDir), { recursive: true });
cpSync(sourceDir, copyDir, {
  recursive: true,
  filter: (path) => !path.startsWith(join(sourceDir, 'build')),
});
writeFileSync(
  join(buildRoot, 'package.json'),
  JSON.stringify({
    name: 'carrel-electron-native',
    private: true,
    dependencies: { 'better-sqlite3': version },
  }),
);

const { rebuild } = await import('@electron/rebuild');
console.log(`carrel: building better-sqlite3 ${version} for Electron ${electronVersion()}...`);
await rebuild({
  buildPath: buildRoot,
  electronVersion: electronVersion(),
  onlyModules: ['better-sqlite3'],
  force: true,
});
console.log(`carrel: Electron's better-sqlite3 is in ${copyDir}`);
