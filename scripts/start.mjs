// `npm start`: builds the desk app into out/ and opens it in Electron.
//
// Where Electron's binary is not installed (our build and test machines install with
// ELECTRON_SKIP_BINARY_DOWNLOAD), it says so in one line and starts the browser version of
// the desk instead (scripts/start-web.ts, `npm run start:web`), so `npm start` works on every
// machine. It never loads the `electron` package itself: its index.js starts a download when
// the binary is missing, so this script checks for the binary the way that file finds it.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electron-binary.mjs';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function build() {
  const manifestPath = require.resolve('electron-vite/package.json');
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const cli = join(dirname(manifestPath), typeof bin === 'string' ? bin : bin['electron-vite']);
  const result = spawnSync(process.execPath, [cli, 'build'], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Runs `command args` in the project folder, passing signals on and exiting as it exits. */
function launch(command, args, env = process.env) {
  const child = spawn(command, args, {
    cwd: projectRoot,
    stdio: 'inherit',
    env,
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  child.on('error', (error) => {
    console.error(`carrel: could not start ${command}: ${error.message}`);
    process.exit(1);
  });
  child.on('close', (code, signal) => {
    process.exit(code ?? (signal ? 1 : 0));
  });
}

const binary = findElectronBinary();
if (binary) {
  build();
  const env = { ...process.env };
  // Inherited from some shells and tools, it would make Electron run as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  launch(binary, ['.', ...process.argv.slice(2)], env);
} else {
  console.log(
    'Electron is not installed on this machine (ELECTRON_SKIP_BINARY_DOWNLOAD): starting the browser version of the desk instead.',
  );
  launch(process.execPath, [
    '--import',
    'tsx',
    join(projectRoot, 'scripts', 'start-web.ts'),
    ...process.argv.slice(2),
  ]);
}
