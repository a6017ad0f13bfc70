// Rebuilds native modules (better-sqlite3) for Electron's ABI, but only where the Electron
// binary is installed. On build and CI machines the binary cannot be downloaded, and the
// modules stay built for Node, which is what the tests run on.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const electronDir = join(process.cwd(), 'node_modules', 'electron');
const pathFile = join(electronDir, 'path.txt');
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD || !existsSync(pathFile)) {
  console.log('carrel: Electron binary not installed; native modules stay built for Node.');
  process.exit(0);
}
const binary = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
if (!existsSync(binary)) {
  console.log('carrel: Electron binary not installed; native modules stay built for Node.');
  process.exit(0);
}
const result = spawnSync('npx', ['electron-rebuild', '--only', 'better-sqlite3'], {
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
process.exit(result.status ?? 1);
