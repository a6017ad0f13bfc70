// Finds the Electron executable the way electron/index.js does, without loading that file:
// it starts a download when the binary is missing, which cannot work on our build machines.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The Electron executable, or undefined when it is not installed. Never downloads. */
export function findElectronBinary() {
  let packageDir;
  try {
    packageDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return undefined;
  }
  // path.txt names the executable inside dist/; install.js writes both after a download.
  const pathFile = join(packageDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override
    ? join(override, executable || 'electron')
    : executable && join(packageDir, 'dist', executable);
  return binary && existsSync(binary) ? binary : undefined;
}

/** The installed electron package's version (the ABI native modules are built for). */
export function electronVersion() {
  return JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
}
